"""The tamper-evident record: dispositions and the audit log hash-chained, REPLACE refused like
UPDATE and DELETE, a forged row named by `verify_chains` and refused by `outcome_labels`, a
database from before the chains upgraded on first open, and concurrent appends each stored once."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from serving.store.outcomes import OutcomeStore, TamperedRecord, User

RITA = User("rita", "reviewer")
OLD_SCHEMA = """
CREATE TABLE users (name VARCHAR(64) PRIMARY KEY, role VARCHAR(16) NOT NULL, token_sha256 VARCHAR(64) NOT NULL UNIQUE,
    created_at DATETIME NOT NULL, revoked_at DATETIME);
CREATE TABLE dispositions (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at DATETIME NOT NULL, reviewer VARCHAR(64) NOT NULL,
    dataset VARCHAR(512), period VARCHAR(7) NOT NULL, entity_type VARCHAR(8) NOT NULL, entity_id VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL, pattern VARCHAR(64), amount_recovered FLOAT, note TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, user VARCHAR(64) NOT NULL,
    role VARCHAR(16) NOT NULL, action VARCHAR(32) NOT NULL, period VARCHAR(7), entity_type VARCHAR(8),
    entity_id VARCHAR(64), detail TEXT);
CREATE TRIGGER dispositions_no_update BEFORE UPDATE ON dispositions BEGIN SELECT RAISE(ABORT, 'append-only'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'append-only'); END;
INSERT INTO dispositions (recorded_at, reviewer, period, entity_type, entity_id, outcome, pattern, amount_recovered)
    VALUES ('2025-03-01 10:00:00.000000', 'rita', '2025-03', 'provider', 'H1', 'fraud', 'ghost_stay', -0.0),
           ('2025-03-02 10:00:00.000000', 'rita', '2025-03', 'provider', 'H2', 'clean', NULL, NULL);
INSERT INTO audit (at, user, role, action, period, detail)
    VALUES ('2025-03-01 10:00:00.000000', 'rita', 'reviewer', 'dispose', '2025-03', '{"disposition_id": 1}'),
           ('2025-03-01 11:00:00.000000', 'sam', 'supervisor', 'export', '2025-03', NULL);
"""


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "outcomes.db", f"sqlite:///{tmp_path / 'outcomes.db'}"


def raw(path) -> sqlite3.Connection:
    """A plain sqlite3 connection, as someone with the file would use (no pragmas of the app)."""
    return sqlite3.connect(path, isolation_level=None)


def test_replace_of_an_existing_row_is_refused_like_update_and_delete(db):
    path, url = db
    store = OutcomeStore(url)
    store.record_disposition(RITA, "2025-03", "provider", "H1", "fraud", "ghost_stay", 100.0, "beds empty")
    statements = [
        "INSERT OR REPLACE INTO dispositions(id, recorded_at, reviewer, period, entity_type, entity_id, outcome) "
        "VALUES (1, '2025-03-01 00:00:00', 'rita', '2025-03', 'provider', 'H1', 'clean')",
        "REPLACE INTO audit(id, at, user, role, action) VALUES (1, '2025-03-01 00:00:00', 'x', 'x', 'login')",
        "INSERT INTO audit(at, user, role, action) VALUES ('2025-03-01 00:00:00', 'x', 'x', 'login')",  # no id: no hash
        "UPDATE dispositions SET outcome = 'clean'",
        "DELETE FROM audit",
    ]
    for statement in statements:
        with pytest.raises(Exception, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(text(statement))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw(path).execute(statement)
    assert store.dispositions()["outcome"].tolist() == ["fraud"]
    assert all(check.intact for check in store.verify_chains())


def test_a_row_changed_behind_the_triggers_is_named_and_gives_no_labels(db):
    path, url = db
    store = OutcomeStore(url)
    for entity in ("H1", "H2", "H3"):
        store.record_disposition(RITA, "2025-03", "provider", entity, "fraud", "ghost_stay", 100.0, None)
    assert len(store.outcome_labels()) == 3
    conn = raw(path)
    conn.execute("DROP TRIGGER dispositions_no_update")
    conn.execute("UPDATE dispositions SET outcome = 'clean' WHERE id = 2")
    checks = {c.table: c for c in store.verify_chains()}
    assert checks["dispositions"].broken_id == 2 and checks["audit"].intact
    assert "row id 2" in str(checks["dispositions"])
    with pytest.raises(TamperedRecord, match="row id 2"):
        store.outcome_labels()


def test_a_removed_row_breaks_the_chain_at_the_next(db):
    path, url = db
    store = OutcomeStore(url)
    for action in ("a", "b", "c", "d"):
        store.log(RITA, action)
    conn = raw(path)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id = 2")
    assert {c.table: c.broken_id for c in store.verify_chains()} == {"dispositions": None, "audit": 3}


def test_a_database_from_before_the_chains_is_hashed_on_first_open(db):
    path, url = db
    raw(path).executescript(OLD_SCHEMA)
    store = OutcomeStore(url)
    assert all(c.intact and c.rows == 2 for c in store.verify_chains())
    assert store.dispositions()["row_hash"].str.len().eq(64).all()
    store.record_disposition(RITA, "2025-03", "provider", "H3", "violation", None, 5.0, None)
    assert OutcomeStore(url).verify_chains()[0].rows == 3  # a second open changes nothing
    assert all(c.intact for c in OutcomeStore(url).verify_chains())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw(path).execute("UPDATE dispositions SET row_hash = 'x'")  # the UPDATE trigger is back
    assert len(store.outcome_labels()) == 3


def test_200_simultaneous_dispositions_from_several_processes_are_each_stored_once(db):
    _, url = db
    stores = [OutcomeStore(url) for _ in range(4)]  # separate engines: the database's lock, not a thread lock
    start = threading.Barrier(50)

    def dispose(i: int) -> int:
        if i < 50:
            start.wait()
        return stores[i % 4].record_disposition(
            RITA, "2025-03", "provider", f"H{i:03d}", "fraud", None, float(i), f"case {i}"
        )

    with ThreadPoolExecutor(50) as pool:
        ids = list(pool.map(dispose, range(200)))
    assert sorted(ids) == list(range(1, 201))
    stored = stores[0].dispositions()
    assert len(stored) == 200 and stored["entity_id"].nunique() == 200
    assert dict(zip(stored["id"], stored["entity_id"])) == {new: f"H{i:03d}" for i, new in enumerate(ids)}
    log = stores[0].audit_log()
    assert (log["action"] == "dispose").sum() == 200
    assert all(c.intact and c.rows == 200 for c in stores[0].verify_chains())
