"""What the API and the pages both do: read a month's list with its filters and statuses, show a
case (and log the view), record a checked disposition. Plain functions over the app's state."""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from serving.app.deps import AppState, Filters
from serving.store.outcomes import User
from serving.store.workbook import export_bytes

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
AMOUNT = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")  # ASCII digits, thousands by 3


class Disposition(BaseModel):
    """What a reviewer records after the inspection."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Literal["fraud", "violation", "clean", "withdrawn"]
    pattern: str | None = Field(None, max_length=64, description="the violation found, e.g. upcoding")
    # strict: JSON true is not 1 yuan and the string "12" is not a number (a client sending either is wrong)
    amount_recovered: float | None = Field(None, ge=0, le=1e12, strict=True, description="yuan recovered (>= 0)")
    note: str | None = Field(None, max_length=4000)

    @field_validator("amount_recovered")
    @classmethod
    def _finite(cls, value):
        if value is not None and not math.isfinite(value):
            raise ValueError("amount_recovered must be a finite number")
        return value

    @field_validator("pattern", "note")
    @classmethod
    def _printable(cls, value):
        if value is not None and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            raise ValueError("control characters are not allowed")
        if value is not None and LONE_SURROGATE.search(value):
            raise ValueError("not valid Unicode (a lone surrogate such as \\ud800)")
        return value or None

    def check(self) -> Disposition:
        if self.outcome in ("clean", "withdrawn") and (self.amount_recovered or 0) > 0:
            raise ValueError(f"a {self.outcome} outcome recovers nothing: leave amount_recovered empty or 0")
        if self.outcome in ("clean", "withdrawn") and self.pattern:
            raise ValueError(f"a {self.outcome} outcome has no violation pattern")
        return self


_EXPORTER: ProcessPoolExecutor | None = None
_EXPORTER_LOCK = threading.Lock()


def export_file(table: pd.DataFrame, entity: str, fmt: str) -> bytes:
    """The export's bytes, made in a worker process: writing a workbook is seconds of pure-Python
    work (openpyxl) that would otherwise hold this process's interpreter lock and stall every
    page being served meanwhile. One worker per server process, started at the first export."""
    global _EXPORTER
    with _EXPORTER_LOCK:
        if _EXPORTER is None:  # spawn, not fork: the server has threads
            _EXPORTER = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority
            )
        pool = _EXPORTER
    try:
        return pool.submit(export_bytes, table, entity, fmt).result()
    except BrokenProcessPool:  # the worker died (killed, out of memory): the next export starts another
        with _EXPORTER_LOCK:
            _EXPORTER = None if _EXPORTER is pool else _EXPORTER
        raise HTTPException(503, "the export worker stopped; try again", headers={"Retry-After": "5"}) from None


def _lower_priority() -> None:
    """The export worker yields the CPU to the pages: an export may take seconds, a page should not."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def need_period(s: AppState, period: str) -> str:
    if not s.scores.has(period):
        raise HTTPException(
            404, f"period {period} has not been scored (scored: {', '.join(s.scores.periods()) or 'none yet'})"
        )
    return period


@dataclass(frozen=True)
class Listing:
    """A month's list as a request asks for it: the cached list itself (never copied), the
    positions of the rows that pass the filters in the order asked for, and each row's status."""

    table: pd.DataFrame
    order: np.ndarray
    status: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def rows(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows `start:stop` of the listing, with their status (only these rows are copied)."""
        at = self.order[start:stop]
        return self.table.iloc[at].assign(status=self.status[at])


def listing(s: AppState, period: str, entity: str, f: Filters) -> Listing:
    """The month's list with each entity's status (its disposition in force), filtered and sorted."""
    table = s.scores.table(need_period(s, period), entity)
    if entity == "person" and (f.provider_type or f.grade):
        raise HTTPException(422, "provider_type and grade filter providers only")
    status = np.full(len(table), "open", dtype=object)
    recorded = s.store.statuses(period, entity)
    if recorded:
        where = s.scores.index(period, entity).get_indexer(list(recorded))
        status[where[where >= 0]] = [o for o, at in zip(recorded.values(), where) if at >= 0]
        status[status == "withdrawn"] = "open"  # a withdrawn record leaves the case open
    keep = np.ones(len(table), dtype=bool)
    for column, wanted in (("region", f.region), ("provider_type", f.provider_type), ("credit_grade", f.grade)):
        if wanted:
            keep &= (table[column].astype(str) == wanted).to_numpy(dtype=bool, na_value=False)
    if f.status:
        keep &= status == f.status
    order = np.flatnonzero(keep)
    ascending = (f.order or ("asc" if f.sort == "rank" else "desc")) == "asc"
    if not (f.sort == "rank" and ascending and table["rank"].is_monotonic_increasing):  # else: as written
        by = [f.sort, "rank"] if f.sort != "rank" else ["rank"]
        keys = table[by].iloc[order].assign(_at=order)
        order = keys.sort_values(by, ascending=[ascending, True][: len(by)], kind="stable")["_at"].to_numpy()
    return Listing(table, order, status)


def choices(s: AppState, period: str, entity: str) -> dict[str, list[str]]:
    """The values a list's filters offer (worked out once per list file)."""
    return s.scores.derived(period, entity, "choices", _choices)


def _choices(table: pd.DataFrame) -> dict[str, list[str]]:
    out = {"region": sorted(table["region"].dropna().astype(str).unique().tolist())}
    if "provider_type" in table:
        out["provider_type"] = sorted(table["provider_type"].dropna().astype(str).unique().tolist())
    return out


def entity_row(s: AppState, period: str, entity: str, entity_id: str) -> dict:
    row = s.scores.row(need_period(s, period), entity, entity_id)
    if row is None:
        raise HTTPException(404, f"{entity} {entity_id} is not in the {period} list")
    return row


def case_view(s: AppState, user: User, period: str, entity: str, entity_id: str, detail: dict | None = None) -> dict:
    """Everything shown about one case; the view goes into the audit log."""
    row = entity_row(s, period, entity, entity_id)
    history = s.scores.risk_history(entity, entity_id, period)
    s.store.log(user, "view_case", period, entity, entity_id, detail)
    return {
        "row": jsonable(row),
        "case": s.scores.case(period, entity, entity_id),
        "dispositions": s.store.case_dispositions(period, entity, entity_id),
        "risk_history": records(history),
    }


def dispose(s: AppState, user: User, period: str, entity: str, entity_id: str, body: Disposition) -> int:
    """Record a checked disposition, tagged with the data folder the month's list came from."""
    return s.store.record_disposition(
        user,
        period,
        entity,
        entity_id,
        body.outcome,
        body.pattern,
        body.amount_recovered,
        body.note,
        s.scores.manifest(period).get("data"),
    )


def parse_amount(text: str) -> float | None:
    """The form's amount in yuan: `1234.5` or `1,234.50` (commas only as thousands separators,
    so a mistyped `1,2,3` is refused rather than read as 123)."""
    text = text.strip()
    if not text:
        return None
    if not AMOUNT.fullmatch(text):
        raise ValueError(
            f"amount_recovered: must be a number of yuan such as 1234.5 or 1,234.50, got {clean_text(text[:20])!r}"
        )
    return float(text.replace(",", ""))


def clean_text(value: str) -> str:
    """`value` with lone surrogates (which no UTF-8 answer can carry) replaced by U+FFFD."""
    return (
        value.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if LONE_SURROGATE.search(value) else value
    )


def message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def safe_next(target: str) -> str:
    """Only same-site paths after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False)) if len(frame) else []


def jsonable(value):
    """Plain JSON values (NaN and infinity as null, numpy scalars as numbers)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return clean_text(value)
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
