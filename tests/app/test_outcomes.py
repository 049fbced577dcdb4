"""The outcomes database as training sees it, and the commands that manage users and outcomes."""

from __future__ import annotations

import pandas as pd
import pytest

from data_contracts.tables import load_labels
from pipelines.cli import main
from pipelines.io import dataset_key
from pipelines.tasks import labels_with_outcomes
from serving.store.outcomes import AccessError, OutcomeStore, User

RITA = User("rita", "reviewer")


def test_recorded_outcomes_join_the_labels_and_win_on_the_same_case(trained_tiny, outcomes_url):
    file_labels = load_labels(trained_tiny["dir"] / "labels.csv")
    known = file_labels.iloc[0]
    store = OutcomeStore(outcomes_url)
    flipped = "clean" if known["outcome"] == "fraud" else "violation"
    store.record_disposition(
        RITA,
        known["period"],
        known["entity_type"],
        known["entity_id"],
        flipped,
        None if flipped == "clean" else "over_price",
        None,
        "re-inspected",
    )
    store.record_disposition(RITA, known["period"], "person", "P-NEW", "violation", "card_misuse", 80.0, "")
    merged, recorded = labels_with_outcomes(file_labels, outcomes_url)
    assert recorded == 2 and len(merged) == len(file_labels) + 1
    key = (
        (merged["entity_id"] == known["entity_id"])
        & (merged["period"] == known["period"])
        & (merged["entity_type"] == known["entity_type"])
    )
    assert merged.loc[key, "outcome"].tolist() == ["clean" if flipped == "clean" else "fraud"]
    new = merged[merged["entity_id"] == "P-NEW"].iloc[0]
    assert (new["outcome"], new["pattern"], new["amount_recovered"]) == ("fraud", "card_misuse", 80.0)
    assert merged.dtypes.to_dict() == file_labels.dtypes.to_dict()


def test_outcomes_recorded_on_another_dataset_are_left_out(trained_tiny, outcomes_url, tmp_path):
    file_labels = load_labels(trained_tiny["dir"] / "labels.csv")
    store = OutcomeStore(outcomes_url)
    mine, other = dataset_key(trained_tiny["dir"]), dataset_key(tmp_path / "other-region")
    store.record_disposition(RITA, "2025-03", "provider", "H00001", "fraud", None, None, None, dataset=mine)
    store.record_disposition(RITA, "2025-03", "provider", "H00002", "fraud", None, None, None, dataset=other)
    merged, recorded = labels_with_outcomes(file_labels, outcomes_url, mine)
    assert recorded == 1 and "H00002" not in set(merged.loc[merged["period"] == "2025-03", "entity_id"]) - set(
        file_labels.loc[file_labels["period"] == "2025-03", "entity_id"]
    )
    assert ((merged["entity_id"] == "H00001") & (merged["period"] == "2025-03") & (merged["outcome"] == "fraud")).any()


def test_no_outcomes_leaves_the_labels_file_as_it_is(trained_tiny, outcomes_url):
    file_labels = load_labels(trained_tiny["dir"] / "labels.csv")
    merged, recorded = labels_with_outcomes(file_labels, outcomes_url)
    assert recorded == 0 and merged is file_labels


def test_only_reviewers_dispose_even_through_the_library(outcomes_url):
    with pytest.raises(PermissionError):
        OutcomeStore(outcomes_url).record_disposition(
            User("sam", "supervisor"), "2025-01", "provider", "H1", "fraud", None, None, None
        )


def run(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


def test_users_and_outcomes_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FUNDGUARD_DATA_DIR", str(tmp_path))
    code, out = run(["users", "add", "--name", "rita", "--role", "reviewer"], capsys)
    assert code == 0
    token = out.split("token ")[1].split()[0]
    store = OutcomeStore(f"sqlite:///{tmp_path / 'outcomes.db'}")
    assert store.authenticate(token) == RITA
    assert run(["users", "add", "--name", "x", "--role", "admin"], capsys)[0] == 64
    code, out = run(["users", "list"], capsys)
    assert code == 0 and "rita" in out and "reviewer" in out
    store.record_disposition(RITA, "2025-03", "provider", "H00001", "fraud", "ghost_stay", 5000.0, "beds empty")
    code, out = run(["outcomes", "--out", str(tmp_path / "recorded.csv")], capsys)
    assert code == 0 and "1 outcomes" in out
    written = pd.read_csv(tmp_path / "recorded.csv", dtype=str)
    assert written.iloc[0][["entity_id", "period", "outcome", "pattern"]].tolist() == [
        "H00001",
        "2025-03",
        "fraud",
        "ghost_stay",
    ]
    assert run(["users", "revoke", "--name", "rita"], capsys)[0] == 0
    assert run(["users", "revoke", "--name", "rita"], capsys)[0] == 1
    with pytest.raises(AccessError):
        store.authenticate(token)
