"""The contract's vocabulary, written once: entity types and the period ('YYYY-MM').

Every package imports these names instead of spelling them again, so a new entity type or a
change of period format has one place to happen.
"""

from __future__ import annotations

import re

import pandas as pd

ENTITIES: tuple[str, ...] = ("provider", "person")
"""Entity types scored and labelled, in the order lists and reports show them."""

PERIOD_REGEX = r"^\d{4}-(0[1-9]|1[0-2])$"
"""A period as text: 'YYYY-MM' (a calendar month)."""

_PERIOD = re.compile(PERIOD_REGEX)

ENTITY_ID, PERIOD, PEER_GROUP = "entity_id", "period", "peer_group"
"""The key columns of a feature table and of the ranked lists."""

PEER_RATIO, PEER_PCT = "__peer_ratio", "__peer_pct"
"""Suffixes of a provider measure's peer-relative companions (ratio to the peer median, percentile)."""


def base_name(column: str) -> str:
    """The measure a (possibly peer-relative) feature column derives from."""
    for suffix in (PEER_RATIO, PEER_PCT):
        if column.endswith(suffix):
            return column[: -len(suffix)]
    return column


def is_period(text: object) -> bool:
    """Whether `text` is a period string such as '2026-01'."""
    return isinstance(text, str) and bool(_PERIOD.fullmatch(text))


def check_entity(entity: str) -> str:
    """`entity` if it is a known entity type, else ValueError naming the known ones."""
    if entity not in ENTITIES:
        raise ValueError(f"entity must be one of {ENTITIES}, not {entity!r}")
    return entity


def period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of a 'YYYY-MM' period; ValueError with the expected format otherwise."""
    if not is_period(period):
        raise ValueError(f"period must look like YYYY-MM, got {period!r}")
    start = pd.Period(period, freq="M").start_time
    return start, start + pd.DateOffset(months=1)


def shift(period: str, months: int) -> str:
    """The period `months` later (negative: earlier)."""
    return str(pd.Period(period, "M") + months)


def months_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included."""
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def data_periods(claims: pd.DataFrame) -> list[str]:
    """Every month from the first to the last settlement of `claims`, 'YYYY-MM'."""
    months = claims["settle_time"].dt.to_period("M")
    if months.isna().all():
        return []
    return months_between(str(months.min()), str(months.max()))


def period_of(times: pd.Series) -> pd.Series:
    """The 'YYYY-MM' period of each timestamp."""
    return times.dt.strftime("%Y-%m")
