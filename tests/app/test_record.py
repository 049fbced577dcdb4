"""The tamper-evident record as the app and the command line see it: a forged disposition stops
exports and training labels, the pages carry a warning, `fundguard audit verify` names the row;
200 simultaneous dispositions through the API are each stored once on an intact chain."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from pipelines.cli import main
from serving.store.outcomes import OutcomeStore, TamperedRecord
from testkit import bearer


def latest_top(scores_dir) -> tuple[str, str]:
    period = max(p.name for p in scores_dir.iterdir() if not p.name.startswith("."))
    return period, pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].iloc[0]


def verify(capsys, url) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(["audit", "verify", "--url", url])
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


def test_a_forged_disposition_is_found_and_refused_everywhere(client, tokens, scores_dir, outcomes_url, capsys):
    period, top = latest_top(scores_dir)
    url = f"/api/cases/{period}/provider/{top}/dispositions"
    for outcome in ("fraud", "clean"):
        assert client.post(url, json={"outcome": outcome}, headers=bearer(tokens["reviewer"])).status_code == 201
    code, out = verify(capsys, outcomes_url)
    assert code == 0 and "both chains verify" in out
    export = f"/api/periods/{period}/provider/export"
    assert client.get(export, headers=bearer(tokens["supervisor"])).status_code == 200

    conn = sqlite3.connect(outcomes_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("DROP TRIGGER dispositions_no_update")  # someone with the file, going around the app
    conn.execute("UPDATE dispositions SET outcome = 'fraud' WHERE id = 2")

    code, out = verify(capsys, outcomes_url)
    assert code == 2 and "dispositions: chain broken at row id 2" in out
    with pytest.raises(TamperedRecord):
        OutcomeStore(outcomes_url).outcome_labels()
    for fmt in ("csv", "xlsx"):
        got = client.get(export, params={"format": fmt}, headers=bearer(tokens["supervisor"]))
        assert got.status_code == 409 and "row id 2" in got.json()["detail"]
    assert client.get("/api/dispositions", headers=bearer(tokens["supervisor"])).status_code == 409
    page = client.get(f"/periods/{period}/provider", headers=bearer(tokens["reviewer"]))
    assert page.status_code == 200 and 'id="tamper"' in page.text and "row id 2" in page.text
    log = OutcomeStore(outcomes_url).audit_log()
    assert (log["action"] == "refused").sum() == 3


def test_an_intact_record_shows_no_warning(client, tokens, scores_dir):
    period, _ = latest_top(scores_dir)
    page = client.get(f"/periods/{period}/provider", headers=bearer(tokens["reviewer"]))
    assert page.status_code == 200 and 'id="tamper"' not in page.text


def test_200_simultaneous_dispositions_through_the_api_are_each_stored_once(client, tokens, scores_dir, outcomes_url):
    period, _ = latest_top(scores_dir)
    ids = pd.read_parquet(scores_dir / period / "providers.parquet")["entity_id"].tolist()
    cases = [ids[i % len(ids)] for i in range(200)]

    def dispose(i: int) -> int:
        got = client.post(
            f"/api/cases/{period}/provider/{cases[i]}/dispositions",
            json={"outcome": "violation", "pattern": "over_price", "amount_recovered": float(i), "note": f"n{i}"},
            headers=bearer(tokens["reviewer"]),
        )
        assert got.status_code == 201, got.text
        return got.json()["id"]

    with ThreadPoolExecutor(50) as pool:
        new_ids = list(pool.map(dispose, range(200)))
    assert sorted(new_ids) == list(range(1, 201))
    store = OutcomeStore(outcomes_url)
    stored = store.dispositions()
    assert len(stored) == 200 and sorted(stored["note"]) == sorted(f"n{i}" for i in range(200))
    assert all(check.intact for check in store.verify_chains())
