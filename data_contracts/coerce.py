"""Column kinds of the contract and how raw CSV/Parquet columns are turned into them.

Every converter returns the converted column and a mask of the rows whose (non-null) value
could not be read as that kind; nulls stay null here and are judged by the suites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

STRING = "string"
INT = "int"
NULLABLE_INT = "nullable int"
NUMBER = "number"
DATE = "date"
TIMESTAMP = "timestamp"
BOOL = "bool"
KINDS = (STRING, INT, NULLABLE_INT, NUMBER, DATE, TIMESTAMP, BOOL)

TYPE_RULES = {
    STRING: "type string",
    INT: "type integer: whole numbers",
    NULLABLE_INT: "type integer: whole numbers or empty",
    NUMBER: "type number",
    DATE: "type date: ISO 8601 (YYYY-MM-DD)",
    TIMESTAMP: "type timestamp: ISO 8601 (YYYY-MM-DDTHH:MM:SS)",
    BOOL: "type boolean: true/false/1/0",
}

_BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False}
# nanoseconds: the unit GX compares vectorised (other units fall back to a Python loop per row)
_DATETIME_DTYPE = "datetime64[ns]"
_NANOS_PER_DAY = 86_400 * 10**9
_EARLIEST, _LATEST = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


@dataclass(frozen=True)
class Coerced:
    values: pd.Series
    bad: np.ndarray  # True where a non-null value is not of the kind


def coerce(series: pd.Series, kind: str) -> Coerced:
    """Convert one column to the dtype of `kind` (see KINDS)."""
    converters = {
        STRING: _to_string,
        INT: _to_int,
        NULLABLE_INT: _to_nullable_int,
        NUMBER: _to_number,
        DATE: _to_date,
        TIMESTAMP: _to_timestamp,
        BOOL: _to_bool,
    }
    if kind not in converters:
        raise ValueError(f"unknown column kind {kind!r}; expected one of {KINDS}")
    return converters[kind](series)


def _no_bad(series: pd.Series) -> np.ndarray:
    return np.zeros(len(series), dtype=bool)


def _is_text(series: pd.Series) -> bool:
    return ptypes.is_string_dtype(series.dtype) or series.dtype == object


def _to_string(series: pd.Series) -> Coerced:
    if ptypes.is_string_dtype(series.dtype) and series.dtype != object:
        return Coerced(series, _no_bad(series))
    if ptypes.is_float_dtype(series.dtype):
        whole = series.dropna()
        if (whole == whole.round()).all():
            series = series.astype("Int64")
    values = series.astype("str").where(series.notna())
    return Coerced(values.astype("str"), _no_bad(series))


def _whole_numbers(numbers: pd.Series) -> pd.Series:
    """Int64 copy of a float/int column; non-integral values become <NA>."""
    if ptypes.is_integer_dtype(numbers.dtype):
        return numbers.astype("Int64")
    floats = numbers.astype("float64")
    return floats.where(floats == np.floor(floats)).astype("Int64")


def _to_nullable_int(series: pd.Series) -> Coerced:
    """Int64 (pandas' nullable integer)."""
    result = _whole_number_column(series)
    return Coerced(result.values.astype("Int64"), result.bad)


def _to_int(series: pd.Series) -> Coerced:
    """int64; where nulls occur (which breaks the contract) float64, which GX checks vectorised."""
    result = _whole_number_column(series)
    values = result.values.astype("float64") if result.values.hasnans else result.values.astype("int64")
    return Coerced(values, result.bad)


def _whole_number_column(series: pd.Series) -> Coerced:
    if ptypes.is_bool_dtype(series.dtype):
        series = series.astype("Int64")
    if ptypes.is_integer_dtype(series.dtype):
        return Coerced(series, _no_bad(series))
    numbers = pd.to_numeric(series.str.strip(), errors="coerce") if _is_text(series) else series
    if not ptypes.is_numeric_dtype(numbers.dtype):
        return Coerced(pd.Series(pd.NA, index=series.index, dtype="Int64"), series.notna().to_numpy())
    values = _whole_numbers(numbers)
    return Coerced(values, (series.notna() & values.isna()).to_numpy())


def _to_number(series: pd.Series) -> Coerced:
    if ptypes.is_numeric_dtype(series.dtype) and not ptypes.is_bool_dtype(series.dtype):
        return Coerced(series.astype("float64"), _no_bad(series))
    if not _is_text(series):
        return Coerced(pd.Series(np.nan, index=series.index), series.notna().to_numpy())
    values = pd.to_numeric(series.str.strip(), errors="coerce").astype("float64")
    return Coerced(values, (series.notna() & values.isna()).to_numpy())


def _to_datetime(series: pd.Series) -> Coerced:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if ptypes.is_datetime64_dtype(series.dtype):
        values = series
    elif ptypes.is_string_dtype(series.dtype) and series.dtype != object:
        values = pd.to_datetime(series.str.strip(), format="ISO8601", errors="coerce")
    elif series.dtype == object:  # text, or datetime.date objects
        values = pd.to_datetime(series, format="mixed", errors="coerce")
    else:
        values = pd.Series(pd.NaT, index=series.index, dtype=_DATETIME_DTYPE)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    values = _in_nanoseconds(values)
    return Coerced(values, (series.notna() & values.isna()).to_numpy())


def _in_nanoseconds(values: pd.Series) -> pd.Series:
    """datetime64[ns]; dates outside its range (years 1677..2262) become NaT, i.e. unreadable."""
    if values.dtype == _DATETIME_DTYPE:
        return values
    earliest, latest = values.min(), values.max()
    if pd.notna(earliest) and (earliest < _EARLIEST or latest > _LATEST):
        values = values.where((values >= _EARLIEST) & (values <= _LATEST))
    return values.astype(_DATETIME_DTYPE)


def _to_date(series: pd.Series) -> Coerced:
    """Dates keep no time of day; a stray time is cut off rather than refused."""
    result = _to_datetime(series)
    if _all_midnight(result.values):
        return result
    return Coerced(result.values.dt.normalize(), result.bad)


def _all_midnight(values: pd.Series) -> bool:
    ticks = values.to_numpy().view("int64")  # nanoseconds, see _DATETIME_DTYPE; NaT is the minimum
    return bool(np.all((ticks % _NANOS_PER_DAY == 0) | (ticks == np.iinfo(np.int64).min)))


def _to_timestamp(series: pd.Series) -> Coerced:
    return _to_datetime(series)


def _to_bool(series: pd.Series) -> Coerced:
    if ptypes.is_bool_dtype(series.dtype):
        values = series if not series.hasnans else series.astype("boolean")
        return Coerced(values, _no_bad(series))
    if ptypes.is_numeric_dtype(series.dtype):
        words = series.astype("Int64").astype("str")
    elif _is_text(series):
        words = series.astype("str").str.strip().str.lower()
    else:
        return Coerced(pd.Series(pd.NA, index=series.index, dtype="boolean"), series.notna().to_numpy())
    values = words.map(_BOOL_WORDS).astype("boolean")
    bad = (series.notna() & values.isna()).to_numpy()
    if not values.hasnans:
        values = values.astype(bool)
    return Coerced(values, bad)
