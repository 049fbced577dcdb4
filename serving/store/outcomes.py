"""The outcomes database: reviewers' dispositions, users and their roles, their sign-in sessions,
and the audit log.

Any SQLAlchemy URL works (SQLite by default, PostgreSQL for a shared server). Dispositions and
audit entries are append-only: a correction is a new disposition that supersedes the earlier
one, and nothing is ever updated or deleted. On SQLite, triggers refuse UPDATE, DELETE and any
insert whose id does not follow the last row's (which is what `INSERT OR REPLACE` / `REPLACE INTO`
of an existing row is; `recursive_triggers` is on as well, so REPLACE's implicit delete is
refused too); on a server database, grant the application's role INSERT and SELECT only — see the
README.

Tamper evidence: every disposition and audit row carries `row_hash`, the SHA-256 of the previous
row's hash and the row's canonical JSON (a chain per table, from 64 zeros). `verify_chains` walks
both and names the first row that does not match: a row changed or removed behind the triggers'
back (by someone who dropped them) breaks the chain there. `outcome_labels` refuses to turn a
dispositions record that does not verify into training labels. Appends are serialised (one
writer at a time: `BEGIN IMMEDIATE` on SQLite, a table lock on PostgreSQL), so concurrent
dispositions each get their own place in the chain. A database from before the chains gets the
column, and its rows their hashes in id order, the first time a store opens it.

Sign-in: the login form creates a server-side session (a random id, stored only as its SHA-256)
with an absolute expiry and an idle timeout; signing out, revoking the user or issuing a new token
ends it. API bearer tokens stay for scripts. Failed sign-ins are recorded and audited; a user name
or an address with too many recent failures is refused for a while (`Throttled`).

Confirmed dispositions become training labels in the labels contract's shape
(`outcome_labels`): `fraud` and `violation` are both findings (`outcome = fraud`, the pattern and
amount recovered kept), `clean` stays clean.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterator, Mapping
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
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine

ROLES = ("reviewer", "supervisor")
OUTCOMES = ("fraud", "violation", "clean", "withdrawn")  # withdrawn: a mistaken record, no label
LABEL_OF = {"fraud": "fraud", "violation": "fraud", "clean": "clean"}
SESSION_LIFETIME = dt.timedelta(hours=12)  # a session ends this long after sign-in, used or not
SESSION_IDLE = dt.timedelta(minutes=30)  # ... or after this long without a request
SESSION_TOUCH = dt.timedelta(seconds=60)  # last_seen is written at most this often per session
THROTTLE_FAILURES = 5  # failed sign-ins of one name or one address ...
THROTTLE_WINDOW = dt.timedelta(minutes=15)  # ... within this window refuse further tries until it passes
GENESIS = "0" * 64  # the "previous hash" of a chain's first row

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)
dispositions = Table(
    "dispositions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime, nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("dataset", String(512)),  # the data folder the scored list came from (its manifest's `data`)
    Column("period", String(7), nullable=False, index=True),
    Column("entity_type", String(8), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("pattern", String(64)),
    Column("amount_recovered", Float),
    Column("note", Text),
    Column("row_hash", String(64)),  # the chain: sha256(previous row's hash, this row's canonical JSON)
)
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("period", String(7)),
    Column("entity_type", String(8)),
    Column("entity_id", String(64)),
    Column("detail", Text),
    Column("row_hash", String(64)),
)
sessions = Table(
    "sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),  # the cookie holds the id; only its hash is kept
    Column("user", String(64), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
)
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("user", String(64)),
    Column("address", String(64)),
)
APPEND_ONLY = ("dispositions", "audit")
CHAINED = {"dispositions": dispositions, "audit": audit}


@dataclass(frozen=True)
class User:
    name: str
    role: str


class AccessError(Exception):
    """An unknown or revoked token, or a session that ended."""


class Throttled(AccessError):
    """Too many failed sign-ins from this name or address lately; `retry_after` seconds to wait."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class TamperedRecord(Exception):
    """A chain that does not verify: a disposition or audit row was changed, removed or forged."""


@dataclass(frozen=True)
class ChainCheck:
    """The walk of one chain: rows checked, and the first row that breaks it (None: intact)."""

    table: str
    rows: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None

    def __str__(self) -> str:
        if self.intact:
            return f"{self.table}: {self.rows} rows, chain intact"
        return f"{self.table}: chain broken at row id {self.broken_id} ({self.reason})"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def canonical(table: Table, row: Mapping[str, Any]) -> str:
    """A row as the chain hashes it: every column but `row_hash`, typed by its column (times as
    `YYYY-MM-DD HH:MM:SS[.ffffff]`, floats as floats) so the row written and the row read back give
    the same text, as compact JSON with sorted keys."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name == "row_hash":
            continue
        value = row.get(column.name)
        if value is not None:
            if isinstance(column.type, DateTime):
                value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
            elif isinstance(column.type, Float):
                value = float(value) + 0.0  # -0.0 reads back as 0.0
            elif isinstance(column.type, Integer):
                value = int(value)
            else:
                value = str(value)
        values[column.name] = value
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(previous: str, table: Table, row: Mapping[str, Any]) -> str:
    """The hash a row carries: it covers the row and, through `previous`, every row before it."""
    return hashlib.sha256(f"{previous}\n{canonical(table, row)}".encode()).hexdigest()


def verify_chain(conn: Connection, table: Table) -> ChainCheck:
    """Walk `table` in id order and recompute each row's hash from the row before it."""
    previous, rows = GENESIS, 0
    for row in conn.execute(select(table).order_by(table.c.id)).mappings():
        rows += 1
        try:
            expected = chain_hash(previous, table, row)
        except (TypeError, ValueError) as exc:
            return ChainCheck(table.name, rows, row["id"], f"unreadable row: {exc}")
        if not row["row_hash"]:
            return ChainCheck(table.name, rows, row["id"], "no hash: inserted behind the application's back")
        if not hmac.compare_digest(expected, row["row_hash"]):
            return ChainCheck(
                table.name,
                rows,
                row["id"],
                "its hash does not match its contents and the row "
                "before it: this row was changed or inserted, or "
                "the row before it removed",
            )
        previous = row["row_hash"]
    return ChainCheck(table.name, rows)


def _append(conn: Connection, table: Table, values: Mapping[str, Any]) -> int:
    """Add `values` as the next row of `table`'s chain; the caller holds the write lock
    (`OutcomeStore.writing`), so no other append can take the same place."""
    last = conn.execute(select(table.c.id, table.c.row_hash).order_by(table.c.id.desc()).limit(1)).first()
    row = {**values, "id": (last.id if last else 0) + 1}
    row["row_hash"] = chain_hash(last.row_hash if last else GENESIS, table, row)
    conn.execute(insert(table).values(**row))
    return row["id"]


def _audit(
    conn: Connection, user: User, action: str, period=None, entity_type=None, entity_id=None, detail=None
) -> None:
    _append(
        conn,
        audit,
        dict(
            at=_now(),
            user=user.name[:64],
            role=user.role,
            action=action,
            period=period,
            entity_type=entity_type,
            entity_id=entity_id,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None,
        ),
    )


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's begin event opens transactions (BEGIN IMMEDIATE for writes)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the pages) do not block a reviewer's write
    # WAL's recommended durability: a commit is safe from an app crash at once, from a power cut at
    # the next checkpoint; no fsync per page view's audit entry
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")  # a writer waits its turn (the chain appends one at a time)
    cursor.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit delete fires the DELETE trigger
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Writers take SQLite's write lock when their transaction starts (not at their first write),
    so reading the chain's last row and appending to it cannot interleave with another writer."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("fundguard_write") else "BEGIN")


class OutcomeStore:
    """Users, sessions, dispositions and the audit log in one database (created on first use)."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock()  # this process's writers queue here, not in SQLite's busy loop
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        metadata.create_all(self.engine)
        self._add_chains()
        if self.sqlite:
            self._guard()

    @contextlib.contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction holding the database's write lock from its start (appends to the
        chains are serialised here, across threads and processes)."""
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(fundguard_write=True)
            with conn.begin():
                if self.engine.dialect.name == "postgresql":
                    conn.execute(text("LOCK TABLE dispositions, audit IN SHARE ROW EXCLUSIVE MODE"))
                yield conn

    def _guard(self) -> None:
        """SQLite triggers: no UPDATE, no DELETE, and no insert but at the end of the chain."""
        with self.writing() as conn:
            for table in APPEND_ONLY:
                for verb in ("UPDATE", "DELETE"):
                    conn.execute(
                        text(
                            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                        )
                    )
                conn.execute(
                    text(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_insert_at_end BEFORE INSERT ON {table} "
                        f"WHEN NEW.id IS NULL OR NEW.id <= (SELECT COALESCE(MAX(id), 0) FROM {table}) "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows are only added after the last'); END"
                    )
                )

    def _add_chains(self) -> None:
        """A database from before the chains: add `row_hash` and hash the existing rows in id order
        (once; the UPDATE trigger is lifted for that and put back by `_guard`)."""
        for name, table in CHAINED.items():
            if "row_hash" in {c["name"] for c in inspect(self.engine).get_columns(name)}:
                continue
            with self.writing() as conn:
                if "row_hash" in {c["name"] for c in inspect(conn).get_columns(name)}:
                    continue  # another process added it meanwhile
                conn.execute(text(f"ALTER TABLE {name} ADD COLUMN row_hash VARCHAR(64)"))
                if self.sqlite:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {name}_no_update"))
                previous = GENESIS
                for row in conn.execute(select(table).order_by(table.c.id)).mappings().all():
                    previous = chain_hash(previous, table, row)
                    conn.execute(update(table).where(table.c.id == row["id"]).values(row_hash=previous))

    # users ---------------------------------------------------------------------------------
    def add_user(self, name: str, role: str) -> str:
        """Create a user (or give an existing one a new token, which ends their sessions);
        returns the token, shown once."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name or len(name) > 64:
            raise ValueError("a user name is 1 to 64 characters")
        token = secrets.token_urlsafe(24)
        with self.writing() as conn:
            conn.execute(users.delete().where(users.c.name == name))
            conn.execute(insert(users).values(name=name, role=role, token_sha256=_hash(token), created_at=_now()))
            _end_sessions(conn, name)
        return token

    def revoke(self, name: str) -> bool:
        """Lock a user out: their token stops working and their sessions end now."""
        with self.writing() as conn:
            done = conn.execute(
                users.update().where(users.c.name == name, users.c.revoked_at.is_(None)).values(revoked_at=_now())
            )
            _end_sessions(conn, name)
        return done.rowcount > 0

    def authenticate(self, token: str | None) -> User:
        """The active user whose token this is (AccessError otherwise)."""
        if not token:
            raise AccessError("no token")
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.name, users.c.role).where(
                    users.c.token_sha256 == _hash(token), users.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            raise AccessError("unknown or revoked token")
        return User(row.name, row.role)

    def users(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(
                conn.execute(
                    select(users.c.name, users.c.role, users.c.created_at, users.c.revoked_at).order_by(users.c.name)
                )
                .mappings()
                .all(),
                columns=["name", "role", "created_at", "revoked_at"],
            )

    # sign-in and sessions ------------------------------------------------------------------------
    def sign_in(self, name: str, token: str, address: str | None) -> tuple[User, str]:
        """Check a sign-in (name and token) and open a session; returns the user and the session
        id for the cookie. Refused while the name or the address is throttled (`Throttled`, no
        check made); a failure is recorded and audited (`AccessError`)."""
        name = name.strip()[:64]
        self._refuse_if_throttled(name, address, "form")
        try:
            user = self.authenticate(token)
            if not hmac.compare_digest(user.name.encode(), name.encode()):
                raise AccessError("that token is not this user's")
        except AccessError:
            self._failed(name, address, "form")
            raise
        session = secrets.token_urlsafe(32)
        now = _now()
        with self.writing() as conn:
            conn.execute(
                insert(sessions).values(
                    id_sha256=_hash(session),
                    user=user.name,
                    created_at=now,
                    last_seen=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.user == user.name))
            conn.execute(delete(sessions).where(sessions.c.expires_at < now - SESSION_LIFETIME))
            _audit(conn, user, "login", detail={"address": address})
        return user, session

    def check_token(self, token: str, address: str | None) -> User:
        """`authenticate` for an API request: a failure is recorded and audited like a failed
        sign-in (it counts towards the address's throttle; a valid token is never throttled)."""
        try:
            return self.authenticate(token)
        except AccessError:
            self._failed(None, address, "bearer")
            self._refuse_if_throttled(None, address, "bearer")
            raise

    def session_user(self, session: str | None) -> User:
        """The user of a live session (AccessError when unknown, signed out, revoked, expired or
        idle too long); notes the request as the session's last activity."""
        if not session:
            raise AccessError("not signed in")
        key, now = _hash(session), _now()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions, users.c.role, users.c.revoked_at)
                .join(users, users.c.name == sessions.c.user)
                .where(sessions.c.id_sha256 == key)
            ).first()
        if row is None or row.ended_at is not None or row.revoked_at is not None:
            raise AccessError("signed out")
        if now >= row.expires_at or now - row.last_seen >= SESSION_IDLE:
            self.end_session(session)
            raise AccessError("the session expired; sign in again")
        if now - row.last_seen >= SESSION_TOUCH:
            with self.writing() as conn:
                conn.execute(update(sessions).where(sessions.c.id_sha256 == key).values(last_seen=now))
        return User(row.user, row.role)

    def end_session(self, session: str | None) -> bool:
        """Sign a session out (the cookie stops working wherever it was copied to)."""
        if not session:
            return False
        with self.writing() as conn:
            done = conn.execute(
                update(sessions)
                .where(sessions.c.id_sha256 == _hash(session), sessions.c.ended_at.is_(None))
                .values(ended_at=_now())
            )
        return done.rowcount > 0

    def _failed(self, name: str | None, address: str | None, via: str) -> None:
        now = _now()
        with self.writing() as conn:
            conn.execute(insert(sign_in_failures).values(at=now, user=name or None, address=address))
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at < now - THROTTLE_WINDOW))
            _audit(conn, User(name or "-", "-"), "login_failed", detail={"address": address, "via": via})

    def _refuse_if_throttled(self, name: str | None, address: str | None, via: str) -> None:
        wait = self.throttled_for(name, address)
        if wait:
            with self.writing() as conn:
                _audit(
                    conn,
                    User(name or "-", "-"),
                    "login_throttled",
                    detail={"address": address, "via": via, "retry_after": wait},
                )
            raise Throttled(f"too many failed sign-ins; try again in {wait // 60 + 1} minutes", wait)

    def throttled_for(self, name: str | None, address: str | None) -> int:
        """Seconds until `name` and `address` each have fewer than THROTTLE_FAILURES failures
        in the window (0: not throttled)."""
        now, wait = _now(), 0
        with self.engine.connect() as conn:
            for column, value in ((sign_in_failures.c.user, name), (sign_in_failures.c.address, address)):
                if not value:
                    continue
                times = (
                    conn.execute(
                        select(sign_in_failures.c.at)
                        .where(column == value, sign_in_failures.c.at > now - THROTTLE_WINDOW)
                        .order_by(sign_in_failures.c.at)
                    )
                    .scalars()
                    .all()
                )
                if len(times) >= THROTTLE_FAILURES:
                    until = times[len(times) - THROTTLE_FAILURES] + THROTTLE_WINDOW
                    wait = max(wait, int((until - now).total_seconds()) + 1)
        return wait

    # dispositions and audit ------------------------------------------------------------------
    def record_disposition(
        self,
        user: User,
        period: str,
        entity_type: str,
        entity_id: str,
        outcome: str,
        pattern: str | None,
        amount_recovered: float | None,
        note: str | None,
        dataset: str | None = None,
    ) -> int:
        """One disposition and its audit entry, in one transaction (both or neither), each at the
        end of its chain."""
        if user.role != "reviewer":
            raise PermissionError("only reviewers record dispositions")
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        values = dict(
            recorded_at=_now(),
            reviewer=user.name,
            dataset=dataset,
            period=period,
            entity_type=entity_type,
            entity_id=entity_id,
            outcome=outcome,
            pattern=pattern or None,
            amount_recovered=amount_recovered,
            note=note or None,
        )
        with self.writing() as conn:
            new_id = _append(conn, dispositions, values)
            _audit(
                conn,
                user,
                "dispose",
                period,
                entity_type,
                entity_id,
                {
                    "disposition_id": new_id,
                    "outcome": outcome,
                    "pattern": pattern,
                    "amount_recovered": amount_recovered,
                },
            )
        return int(new_id)

    def log(
        self,
        user: User,
        action: str,
        period: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.writing() as conn:
            _audit(conn, user, action, period, entity_type, entity_id, detail)

    def verify_chains(self) -> list[ChainCheck]:
        """Both chains walked (dispositions, then audit)."""
        with self.engine.connect() as conn:
            return [verify_chain(conn, table) for table in CHAINED.values()]

    def verify_dispositions(self) -> ChainCheck:
        with self.engine.connect() as conn:
            return verify_chain(conn, dispositions)

    def dispositions(
        self,
        period: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        latest: bool = False,
    ) -> pd.DataFrame:
        """Dispositions, oldest first; `latest`: only the one in force per entity and period."""
        query = select(dispositions).order_by(dispositions.c.id)
        for column, value in (("period", period), ("entity_type", entity_type), ("entity_id", entity_id)):
            if value is not None:
                query = query.where(dispositions.c[column] == value)
        with self.engine.connect() as conn:
            table = pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in dispositions.columns])
        if latest and len(table):
            table = table.drop_duplicates(["period", "entity_type", "entity_id"], keep="last")
        return table.reset_index(drop=True)

    def statuses(self, period: str, entity_type: str) -> dict[str, str]:
        """entity_id -> the outcome in force (its newest disposition) of one month's list: what
        every list page needs, without building a table of the records."""
        query = (
            select(dispositions.c.entity_id, dispositions.c.outcome)
            .where(dispositions.c.period == period, dispositions.c.entity_type == entity_type)
            .order_by(dispositions.c.id)
        )
        with self.engine.connect() as conn:
            return {str(entity_id): outcome for entity_id, outcome in conn.execute(query)}

    def case_dispositions(self, period: str, entity_type: str, entity_id: str) -> list[dict[str, Any]]:
        """One case's dispositions, oldest first, as JSON-ready dicts (times as ISO text): what a
        case page shows, without a table in between."""
        query = (
            select(*[c for c in dispositions.columns if c.name != "row_hash"])
            .where(
                dispositions.c.period == period,
                dispositions.c.entity_type == entity_type,
                dispositions.c.entity_id == entity_id,
            )
            .order_by(dispositions.c.id)
        )
        with self.engine.connect() as conn:
            found = [dict(row) for row in conn.execute(query).mappings()]
        for row in found:
            row["recorded_at"] = row["recorded_at"].isoformat()
        return found

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
        recorded without one). Raises TamperedRecord when the dispositions chain does not
        verify: training must not learn from a forged record."""
        check = self.verify_dispositions()
        if not check.intact:
            raise TamperedRecord(
                f"the outcomes database's {check}; no labels are taken from it. Run "
                f"`fundguard audit verify`, and restore the database from a backup"
            )
        table = self.dispositions(latest=True)
        if dataset is not None and len(table):
            table = table[table["dataset"].isna() | (table["dataset"] == dataset)]
        table = table[table["outcome"] != "withdrawn"]
        out = pd.DataFrame(
            {
                "entity_type": table["entity_type"].astype("str"),
                "entity_id": table["entity_id"].astype("str"),
                "period": table["period"].astype("str"),
                "outcome": table["outcome"].map(LABEL_OF).astype("str"),
                "pattern": table["pattern"].astype("str"),
                "amount_recovered": pd.to_numeric(table["amount_recovered"], errors="coerce").astype("float64"),
            }
        )
        return out.sort_values(["period", "entity_type", "entity_id"]).reset_index(drop=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _end_sessions(conn: Connection, name: str) -> None:
    conn.execute(update(sessions).where(sessions.c.user == name, sessions.c.ended_at.is_(None)).values(ended_at=_now()))
