"""`fundguard score` as a batch job runs it: the list, its filters, safe re-runs, clear failures."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from models import tracking
from models.job import run_artifacts, signature_sample
from pipelines.cli import main
from serving.scoring.ranking import LIST_COLUMNS

CONTRACT_COLUMNS = [
    "period",
    "entity_type",
    "entity_id",
    "rank",
    "risk_score",
    "model_score",
    "anomaly_score",
    "rule_hits",
    "amount_at_risk",
    "reasons",
    "model_version",
]


def run(argv) -> int:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return done.value.code


@pytest.fixture(scope="module")
def registered(trained_tiny, tmp_path_factory):
    """The tiny models registered as champions in a store of their own."""
    data_dir = tmp_path_factory.mktemp("scoring-store")
    tracking.configure(f"sqlite:///{data_dir / 'mlflow.db'}", data_dir)
    for entity, outcome in trained_tiny["outcomes"].items():
        sample = signature_sample(outcome, trained_tiny["feature_sets"][trained_tiny["periods"][-2]].table(entity), 20)
        tracking.log_and_register(
            entity,
            outcome.result.model,
            sample,
            {},
            outcome.metrics,
            run_artifacts(outcome),
            {"until": trained_tiny["periods"][-2]},
        )
    return data_dir


@pytest.fixture()
def env(registered, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(registered))
    monkeypatch.setenv("FUNDGUARD_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def digests(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def scored(prefect_api, trained_tiny, registered, tmp_path_factory):
    """One scoring run of the tiny region's last month, shared by the tests that read it."""
    out = tmp_path_factory.mktemp("scored") / "scores"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUNDGUARD_DATA_DIR", str(registered))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        assert run(["score", "--data", str(trained_tiny["dir"]), "--out", str(out)]) == 0
    return out


def test_list_follows_the_contract_and_reruns_are_identical(scored, trained_tiny, env):
    data, period = trained_tiny["dir"], trained_tiny["periods"][-1]
    out = scored
    first = digests(out / period)
    providers = pd.read_csv(out / period / "providers.csv")
    assert list(providers.columns[: len(LIST_COLUMNS)]) == LIST_COLUMNS
    assert set(CONTRACT_COLUMNS) <= set(providers.columns)
    assert list(providers["rank"]) == list(range(1, len(providers) + 1))
    assert providers["risk_score"].is_monotonic_decreasing
    assert providers[["risk_score", "model_score", "anomaly_score"]].stack().between(0, 1).all()
    assert (providers["period"] == period).all() and (providers["entity_type"] == "provider").all()
    assert providers["model_version"].notna().all() and providers["data_fingerprint"].nunique() == 1
    assert set(providers["credit_grade"]) <= set("ABCD")
    assert providers["reasons"].str.len().gt(0).all()
    persons = pd.read_parquet(out / period / "persons.parquet")
    assert persons["entity_id"].str.match(r"^P\d+$").all()  # persons only by their pseudonymous id
    assert not {"sex", "birth_date", "name"} & set(persons.columns)
    assert (out / period / "inspection_list.xlsx").stat().st_size > 0
    assert "<html" in (out / period / "report.html").read_text()[:200].lower()
    case = json.loads(next((out / period / "cases" / "provider").glob("*.json")).read_text())
    assert {"contributions", "rule_hits", "claims", "peer_values", "reasons"} <= set(case)
    # the same run again: identical files, the old folder replaced whole
    assert run(["score", "--data", str(data), "--out", str(out)]) == 0
    assert digests(out / period) == first
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [period]  # versions are hidden


def test_capacity_and_filters(prefect_api, trained_tiny, env):
    data, period = trained_tiny["dir"], trained_tiny["periods"][-1]
    out = env / "filtered"
    region = trained_tiny["tables"]["providers"]["region"].iloc[0]
    code = run(
        [
            "score",
            "--data",
            str(data),
            "--period",
            period,
            "--out",
            str(out),
            "--top",
            "3",
            "--region",
            region,
            "--provider-type",
            "hospital",
            "--skip-inspected-months",
            "3",
        ]
    )
    assert code == 0
    providers = pd.read_csv(out / period / "providers.csv", dtype={"region": str})
    assert len(providers) <= 3 and list(providers["rank"]) == list(range(1, len(providers) + 1))
    assert (providers["region"] == region).all() and (providers["provider_type"] == "hospital").all()
    labels = trained_tiny["labels"]
    recent = labels[
        (labels["entity_type"] == "provider")
        & labels["period"].between(str(pd.Period(period) - 3), str(pd.Period(period) - 1))
    ]
    assert not set(providers["entity_id"]) & set(recent["entity_id"])
    assert len(pd.read_csv(out / period / "persons.csv")) == 3


def test_failure_keeps_the_previous_outputs(scored, trained_tiny, env):
    period, out = trained_tiny["periods"][-1], scored
    before = digests(out / period)
    assert run(["score", "--data", str(env / "missing"), "--period", period, "--out", str(out)]) == 2
    assert digests(out / period) == before


@pytest.mark.parametrize("period, code, message", [("2030-01", 1, "is not in the data"), ("2025-13", 64, "YYYY-MM")])
def test_unknown_or_malformed_period(prefect_api, trained_tiny, env, capsys, period, code, message):
    assert run(["score", "--data", str(trained_tiny["dir"]), "--period", period, "--out", str(env / "x")]) == code
    captured = capsys.readouterr()
    assert message in captured.out + captured.err
    assert not (env / "x").exists()


def test_missing_champion_is_a_clear_fault(prefect_api, trained_tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(tmp_path / "empty-store"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code = run(["score", "--data", str(trained_tiny["dir"]), "--out", str(tmp_path / "x")])
    assert code == 1
    assert "run `fundguard train` first" in capsys.readouterr().err


def test_a_month_without_settlements_is_refused(prefect_api, trained_tiny, env, capsys):
    from shutil import copytree

    data = env / "gap"
    copytree(trained_tiny["dir"], data)
    period = trained_tiny["periods"][-3]
    claims = pd.read_parquet(data / "claims.parquet")
    gone = claims["settle_time"].dt.strftime("%Y-%m") == period
    items = pd.read_parquet(data / "claim_items.parquet")
    items[~items["claim_id"].isin(claims.loc[gone, "claim_id"])].to_parquet(data / "claim_items.parquet")
    claims[~gone].to_parquet(data / "claims.parquet")
    assert run(["score", "--data", str(data), "--period", period, "--out", str(env / "x")]) == 1
    assert f"no claims were settled in {period}" in capsys.readouterr().err
    assert not (env / "x").exists()


def test_monthly_flow_scores_the_latest_month(scored, trained_tiny, registered, env, monkeypatch):
    from pipelines.score_flow import MONTHLY_CRON, monthly_deployment, monthly_flow

    target = monthly_flow(str(trained_tiny["dir"]), str(env / "monthly"))
    assert target.endswith(trained_tiny["periods"][-1])
    assert (env / "monthly" / trained_tiny["periods"][-1] / "providers.csv").is_file()
    deployment = monthly_deployment(trained_tiny["dir"], env / "monthly")
    assert deployment.name == "fundguard-monthly"
    assert deployment.schedules[0].schedule.cron == MONTHLY_CRON
    assert deployment.parameters["data"] == str(trained_tiny["dir"].resolve())
