"""`fundguard train` and `fundguard models`, as a user runs them (Prefect flow under a test server)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipelines.cli import main


def run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return done.value.code, capsys.readouterr().out


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FUNDGUARD_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def test_train_registers_champions_and_lists_them(prefect_api, trained_tiny, workdir, capsys):
    from pipelines.settings import load_settings, outcomes_url
    from serving.store.outcomes import OutcomeStore, User

    data = trained_tiny["dir"]
    labels = pd.read_csv(data / "labels.csv", dtype=str)
    period = trained_tiny["periods"][-3]
    fresh = next(
        p
        for p in trained_tiny["tables"]["providers"]["provider_id"]
        if not ((labels["entity_id"] == p) & (labels["period"] == period)).any()
    )
    store = OutcomeStore(outcomes_url(load_settings()))  # where a reviewer's disposition lands by default
    store.record_disposition(User("rita", "reviewer"), period, "provider", fresh, "violation", "over_price", 300.0, "")
    code, out = run(["train", "--data", str(data), "--labels", str(data / "labels.csv")], capsys)
    assert code == 0, out
    assert f"labels: {len(labels) + 1} (1 recorded by reviewers" in out
    assert "fundguard-provider v1 is the first champion" in out
    assert "fundguard-person v1 is the first champion" in out
    assert "precision@k" in out and "biggest spenders" in out
    assert (workdir / "data" / "mlflow.db").is_file()
    code, out = run(["models"], capsys)
    assert code == 0 and "fundguard-provider" in out and "champion" in out


def test_broken_labels_stop_training_with_status_2(prefect_api, trained_tiny, workdir, capsys):
    data = trained_tiny["dir"]
    labels = pd.read_csv(data / "labels.csv")
    labels.loc[3, "outcome"] = "maybe"
    bad = workdir / "labels.csv"
    labels.to_csv(bad, index=False)
    code, out = run(["train", "--data", str(data), "--labels", str(bad)], capsys)
    assert code == 2
    assert "labels" in out and "outcome" in out
    report = json.loads(next((workdir / "reports").glob("*.json")).read_text())
    assert any(f["table"] == "labels" and f["column"] == "outcome" for f in report["findings"])
    assert not (workdir / "data" / "mlflow.db").exists()  # nothing trained, nothing written


def test_until_outside_the_data_is_a_fault_with_a_message(prefect_api, trained_tiny, workdir, capsys):
    data = trained_tiny["dir"]
    with pytest.raises(SystemExit) as done:
        main(["train", "--data", str(data), "--labels", str(data / "labels.csv"), "--until", "2030-01"])
    assert done.value.code == 1
    assert "outside the data" in capsys.readouterr().err
