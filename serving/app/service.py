"""What the API and the pages both do: read a month's list with its filters and statuses, show a
case (and log the view), record a checked disposition. Plain functions over the app's state."""

from __future__ import annotations

import json
import math
import re
from typing import Literal

import pandas as pd
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from serving.app.deps import AppState, Filters
from serving.store.outcomes import User

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


def need_period(s: AppState, period: str) -> str:
    if not s.scores.has(period):
        raise HTTPException(
            404, f"period {period} has not been scored (scored: {', '.join(s.scores.periods()) or 'none yet'})"
        )
    return period


def listing(s: AppState, period: str, entity: str, f: Filters) -> pd.DataFrame:
    """The month's list with each entity's status (its disposition in force), filtered and sorted."""
    table = s.scores.table(need_period(s, period), entity)
    if entity == "person" and (f.provider_type or f.grade):
        raise HTTPException(422, "provider_type and grade filter providers only")
    recorded = s.store.statuses(period, entity)
    status = table["entity_id"].map(recorded).fillna("open").replace("withdrawn", "open") if recorded else "open"
    table = table.assign(status=status)
    keep = pd.Series(True, index=table.index)
    for column, wanted in (("region", f.region), ("provider_type", f.provider_type)):
        if wanted:
            keep &= table[column].astype(str) == wanted
    if f.grade:
        keep &= table["credit_grade"] == f.grade
    if f.status:
        keep &= table["status"] == f.status
    table = table[keep] if not keep.all() else table
    ascending = (f.order or ("asc" if f.sort == "rank" else "desc")) == "asc"
    if f.sort == "rank" and ascending and table["rank"].is_monotonic_increasing:
        return table  # as written: already in rank order
    return table.sort_values([f.sort, "rank"], ascending=[ascending, True], kind="stable")


def choices(s: AppState, period: str, entity: str) -> dict[str, list[str]]:
    """The values a list's filters offer."""
    table = s.scores.table(period, entity)
    out = {"region": sorted(table["region"].dropna().astype(str).unique().tolist())}
    if entity == "provider":
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
        "dispositions": records(s.store.dispositions(period=period, entity_type=entity, entity_id=entity_id)),
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
