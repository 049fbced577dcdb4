"""The outcomes database: reviewers' dispositions, users and their roles, and the audit log.

Any SQLAlchemy URL works (SQLite by default, PostgreSQL for a shared server). Dispositions and
audit entries are append-only: a correction is a new disposition that supersedes the earlier
one, and nothing is ever updated or deleted (on SQLite, triggers refuse UPDATE and DELETE; on a
server database, grant the application's role INSERT and SELECT only — see the README).

Confirmed dispositions become training labels in the labels contract's shape
(`outcome_labels`): `fraud` and `violation` are both findings (`outcome = fraud`, the pattern and
amount recovered kept), `clean` stays clean.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine

ROLES = ("reviewer", "supervisor")
OUTCOMES = ("fraud", "violation", "clean", "withdrawn")  # withdrawn: a mistaken record, no label
LABEL_OF = {"fraud": "fraud", "violation": "fraud", "clean": "clean"}

metadata = MetaData()
users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)
dispositions = Table(
    "dispositions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime, nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("dataset", String(512)),   # the data folder the scored list came from (its manifest's `data`)
    Column("period", String(7), nullable=False, index=True),
    Column("entity_type", String(8), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("pattern", String(64)),
    Column("amount_recovered", Float),
    Column("note", Text),
)
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("period", String(7)),
    Column("entity_type", String(8)),
    Column("entity_id", String(64)),
    Column("detail", Text),
)
APPEND_ONLY = ("dispositions", "audit")


@dataclass(frozen=True)
class User:
    name: str
    role: str


class AccessError(Exception):
    """An unknown or revoked token."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class OutcomeStore:
    """Users, dispositions and the audit log in one database (created on first use)."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                for table in APPEND_ONLY:
                    for verb in ("UPDATE", "DELETE"):
                        conn.execute(text(
                            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"))

    # users ---------------------------------------------------------------------------------
    def add_user(self, name: str, role: str) -> str:
        """Create a user (or give an existing one a new token); returns the token, shown once."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name or len(name) > 64:
            raise ValueError("a user name is 1 to 64 characters")
        token = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(users.delete().where(users.c.name == name))
            conn.execute(insert(users).values(name=name, role=role, token_sha256=_hash(token), created_at=_now()))
        return token

    def revoke(self, name: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(users.update().where(users.c.name == name, users.c.revoked_at.is_(None))
                                .values(revoked_at=_now()))
        return done.rowcount > 0

    def authenticate(self, token: str | None) -> User:
        if not token:
            raise AccessError("no token")
        with self.engine.connect() as conn:
            row = conn.execute(select(users.c.name, users.c.role)
                               .where(users.c.token_sha256 == _hash(token), users.c.revoked_at.is_(None))).first()
        if row is None:
            raise AccessError("unknown or revoked token")
        return User(row.name, row.role)

    def users(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(select(users.c.name, users.c.role, users.c.created_at,
                                                    users.c.revoked_at).order_by(users.c.name)).mappings().all(),
                                columns=["name", "role", "created_at", "revoked_at"])

    # dispositions and audit ------------------------------------------------------------------
    def record_disposition(self, user: User, period: str, entity_type: str, entity_id: str, outcome: str,
                           pattern: str | None, amount_recovered: float | None, note: str | None,
                           dataset: str | None = None) -> int:
        """One disposition and its audit entry, in one transaction (both or neither)."""
        if user.role != "reviewer":
            raise PermissionError("only reviewers record dispositions")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        values = dict(recorded_at=_now(), reviewer=user.name, dataset=dataset, period=period, entity_type=entity_type,
                      entity_id=entity_id, outcome=outcome, pattern=pattern or None,
                      amount_recovered=amount_recovered, note=note or None)
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(dispositions).values(**values)).inserted_primary_key[0]
            _audit(conn, user, "dispose", period, entity_type, entity_id,
                   {"disposition_id": new_id, "outcome": outcome, "pattern": pattern,
                    "amount_recovered": amount_recovered})
        return int(new_id)

    def log(self, user: User, action: str, period: str | None = None, entity_type: str | None = None,
            entity_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
        with self.engine.begin() as conn:
            _audit(conn, user, action, period, entity_type, entity_id, detail)

    def dispositions(self, period: str | None = None, entity_type: str | None = None,
                     entity_id: str | None = None, latest: bool = False) -> pd.DataFrame:
        """Dispositions, oldest first; `latest`: only the one in force per entity and period."""
        query = select(dispositions).order_by(dispositions.c.id)
        for column, value in (("period", period), ("entity_type", entity_type), ("entity_id", entity_id)):
            if value is not None:
                query = query.where(dispositions.c[column] == value)
        with self.engine.connect() as conn:
            table = pd.DataFrame(conn.execute(query).mappings().all(),
                                 columns=[c.name for c in dispositions.columns])
        if latest and len(table):
            table = table.drop_duplicates(["period", "entity_type", "entity_id"], keep="last")
        return table.reset_index(drop=True)

    def audit_log(self, limit: int | None = None) -> pd.DataFrame:
        query = select(audit).order_by(audit.c.id.desc())
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in audit.columns])

    def outcome_labels(self, dataset: str | None = None) -> pd.DataFrame:
        """The dispositions in force, as rows of the labels contract (entity_type, entity_id,
        period, outcome fraud/clean, pattern, amount_recovered); withdrawn ones give no label.
        `dataset`: only outcomes recorded on lists scored from that data folder (and those
        recorded without one)."""
        table = self.dispositions(latest=True)
        if dataset is not None and len(table):
            table = table[table["dataset"].isna() | (table["dataset"] == dataset)]
        table = table[table["outcome"] != "withdrawn"]
        out = pd.DataFrame({
            "entity_type": table["entity_type"].astype("str"), "entity_id": table["entity_id"].astype("str"),
            "period": table["period"].astype("str"), "outcome": table["outcome"].map(LABEL_OF).astype("str"),
            "pattern": table["pattern"].astype("str"),
            "amount_recovered": pd.to_numeric(table["amount_recovered"], errors="coerce").astype("float64"),
        })
        return out.sort_values(["period", "entity_type", "entity_id"]).reset_index(drop=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _audit(conn: Connection, user: User, action: str, period, entity_type, entity_id, detail) -> None:
    conn.execute(insert(audit).values(at=_now(), user=user.name, role=user.role, action=action, period=period,
                                      entity_type=entity_type, entity_id=entity_id,
                                      detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
                                      if detail else None))


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the pages) do not block a reviewer's write
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
