"""The feature-table contract: GX suites per entity, generated from the feature dictionary.

    report = validate_feature_table(fs.provider, "provider", feature_units("provider"), period="2025-04")
    if not report.ok: ...   # findings name features.provider, the column, the rule, entity ids

Expected columns: the keys (entity_id, period, and peer_group for providers) and every feature the
dictionary lists for the entity, so the contract follows the feature code. No other column is
allowed: every non-key column of a feature table is a model input (features.build.feature_columns),
so an extra one would silently change what a model learns. Column order is free.

Every feature must be numeric (an integer or float dtype), not NaN, finite, and within its unit's
range (UNIT_RANGES; flags 0 or 1). GX spends ~30 ms of Python per expectation whatever the rows,
so per-column expectations would cost seconds on 190 columns. Instead the table gets one GX call
for its table and key rules (and flags), and one on its *values frame*: every feature value in one
float column, column after column (long row = column index × rows + row), with the dtype and the
unit's bounds of its column alongside. Five expectations (dtype, NaN, finite, ≥ low, ≤ high) check
all values at once; their unexpected rows are mapped back to (column, row), one finding per column
and rule. The values run asks GX for every unexpected row, so a badly broken table takes longer
(a city-size person table with every value NaN: ~10 s) but the findings stay exact.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations import expectations as gxe
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context import AbstractDataContext

from data_contracts import expectations as r
from data_contracts import gx_run
from data_contracts.errors import MAX_EXAMPLES, Finding, json_value
from data_contracts.validate import ValidationReport
from data_contracts.vocabulary import ENTITY_ID, PEER_GROUP, PERIOD, PERIOD_REGEX, base_name, check_entity

KEYS = {"provider": (ENTITY_ID, PERIOD, PEER_GROUP), "person": (ENTITY_ID, PERIOD)}
BOUND_SLACK = 1e-9  # relative: a rate computed as 100.00000000000001 is float noise, not a break

# the rules in words, as findings name them
NOT_EMPTY = "at least one row"
PRESENT = "column present (a key or a feature of the feature dictionary)"
NOT_EXTRA = "no column outside the feature dictionary (every non-key column is a model input)"
ONCE = "each column name once"
NOT_NULL, UNIQUE, YYYY_MM = "not null", "unique", "YYYY-MM"
NUMERIC = "numeric (integer or float dtype)"
NOT_NAN = "not NaN"
FINITE = "finite (not ±infinity)"
IN_RANGE = "within its unit's range"  # per column, findings say which range (range_rule)

FLAG = "flag"
_SHARE, _AMOUNT = (0.0, 1.0), (0.0, None)
UNIT_RANGES: dict[str, tuple[float | None, float | None]] = {  # unit -> (minimum, maximum), None: open
    "share": _SHARE,
    "0-1": _SHARE,
    "percentile 0-1": _SHARE,
    "per 100 claims": (0.0, 100.0),
    "log ratio": (None, None),
    "ratio": _AMOUNT,  # except a peer ratio of a signed measure (unit_bounds)
    FLAG: _SHARE,  # and 0 or 1, checked on the table
    **{
        unit: _AMOUNT
        for unit in (
            "claims",
            "visits",
            "stays",
            "purchases",
            "admissions",
            "persons",
            "providers",
            "pharmacies",
            "districts",
            "lines",
            "packs",
            "days",
            "years",
            "yuan",
            "yuan/bed",
            "yuan/person",
            "claims/day",
            "packs/day",
            "months",
            "doctors",
            "diagnoses",
            "evidence",
        )
    },
    "severity": (0.0, 3.0),
}
NUMERIC_DTYPES = [
    *(f"{kind}{bits}" for kind in ("int", "uint", "Int", "UInt") for bits in (8, 16, 32, 64)),
    "float32",
    "float64",
    "Float32",
    "Float64",
]
_LARGEST = float(np.finfo(np.float64).max)
VALUE, DTYPE, LOW, HIGH = "value", "dtype", "low", "high"  # the values frame
_VALUE_RULES = (NUMERIC, NOT_NAN, FINITE, IN_RANGE)


def table_name(entity: str) -> str:
    """How reports name the feature table of `entity`: features.provider or features.person."""
    return f"features.{check_entity(entity)}"


def unit_bounds(column: str, units: Mapping[str, str]) -> tuple[float | None, float | None]:
    """(minimum, maximum) of a feature column, None where open.

    A peer ratio (x + floor) / (peer median + floor) is ≥ 0 only when its measure cannot be
    negative: the peer ratio of a log ratio is signed.
    """
    unit = units[column]
    if unit not in UNIT_RANGES:
        raise ValueError(
            f"feature {column!r} has unit {unit!r}, which has no range in the feature contract: "
            f"add it to data_contracts.features.UNIT_RANGES"
        )
    base = base_name(column)
    if unit == "ratio" and base != column and base in units and unit_bounds(base, units)[0] is None:
        return None, None
    return UNIT_RANGES[unit]


def range_rule(column: str, units: Mapping[str, str]) -> str | None:
    """The range rule of a feature column in words, e.g. 'in [0, 1] (share)'; None if unbounded."""
    unit = units[column]
    if unit == FLAG:
        return f"0 or 1 ({unit})"
    low, high = unit_bounds(column, units)
    if low is None and high is None:
        return None
    if high is None:
        return f"≥ {low:g} ({unit})"
    return f"in [{low:g}, {high:g}] ({unit})" if low is not None else f"≤ {high:g} ({unit})"


def table_suite(
    entity: str, table: pd.DataFrame, units: Mapping[str, str], period: str | None = None
) -> gx.ExpectationSuite:
    """Rules on the table itself: rows, columns, keys, and flags being 0 or 1.

    Rules on a column are made only if the table has it (a missing one is the column-set rule's
    finding). `period` is the one period every row must have; without it, the most common one.
    """
    name = table_name(entity)
    columns = [*KEYS[entity], *units]
    keys = [k for k in KEYS[entity] if k in table.columns]
    rules = [
        r.expect(gxe.ExpectTableRowCountToBeBetween, name, None, NOT_EMPTY, min_value=1),
        r.expect(gxe.ExpectTableColumnsToMatchSet, name, None, PRESENT, column_set=columns, exact_match=True),
    ]
    rules += [r.expect(gxe.ExpectColumnValuesToNotBeNull, name, key, NOT_NULL, column=key) for key in keys]
    if ENTITY_ID in keys:
        rules.append(r.expect(gxe.ExpectColumnValuesToBeUnique, name, ENTITY_ID, UNIQUE, column=ENTITY_ID))
    if PERIOD in keys:
        rules.append(
            r.expect(gxe.ExpectColumnValuesToMatchRegex, name, PERIOD, YYYY_MM, column=PERIOD, regex=PERIOD_REGEX)
        )
        expected, words = _one_period(table[PERIOD], period)
        if expected is not None:
            rules.append(r.one_of(name, PERIOD, [expected], rule=words))
    rules += [
        r.one_of(name, c, [0, 1], rule=range_rule(c, units))
        for c, unit in units.items()
        if unit == FLAG and c in table.columns
    ]
    return r.suite(name, rules)


def _one_period(periods: pd.Series, period: str | None) -> tuple[str | None, str]:
    if period is not None:
        return period, f"one period for the whole table: {period}, the period built"
    counts = periods.value_counts()
    if counts.empty:
        return None, ""
    return counts.index[0], (
        f"one period for the whole table: {counts.index[0]}, as {counts.iloc[0]:,} of {len(periods):,} rows"
    )


def values_suite(entity: str) -> gx.ExpectationSuite:
    """Rules on the values frame (see values_frame): one expectation per rule for all features."""
    name = table_name(entity)
    pair = gxe.ExpectColumnPairValuesAToBeGreaterThanB
    return r.suite(
        name + ".values",
        [
            r.one_of(name, DTYPE, NUMERIC_DTYPES, rule=NUMERIC),
            r.expect(gxe.ExpectColumnValuesToNotBeNull, name, VALUE, NOT_NAN, column=VALUE),
            r.expect(
                gxe.ExpectColumnValuesToBeBetween,
                name,
                VALUE,
                FINITE,
                column=VALUE,
                min_value=-_LARGEST,
                max_value=_LARGEST,
            ),
            r.expect(
                pair,
                name,
                VALUE,
                IN_RANGE,
                column_A=VALUE,
                column_B=LOW,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            r.expect(
                pair,
                name,
                VALUE,
                IN_RANGE,
                column_A=HIGH,
                column_B=VALUE,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ],
    )


def values_frame(table: pd.DataFrame, columns: Sequence[str], units: Mapping[str, str]) -> pd.DataFrame:
    """All values of `columns`, column after column: row k holds column k // n, row k % n.

    `value` is float64 (text that is no number becomes NaN), `dtype` the column's dtype, and
    `low`/`high` its unit's bounds (±inf where open; flags are checked on the table instead).
    """
    n = len(table)
    block = pd.DataFrame(
        {c: table[c] if _is_numeric(table[c].dtype) else pd.to_numeric(table[c], errors="coerce") for c in columns},
        index=table.index,
    )
    values = block.to_numpy(dtype="float64", na_value=np.nan).T.ravel()
    dtypes = [str(table[c].dtype) for c in columns]
    names = list(dict.fromkeys(dtypes))
    bounds = [(None, None) if units[c] == FLAG else unit_bounds(c, units) for c in columns]
    low = np.array([-np.inf if b[0] is None else b[0] - BOUND_SLACK * max(1.0, abs(b[0])) for b in bounds])
    high = np.array([np.inf if b[1] is None else b[1] + BOUND_SLACK * max(1.0, abs(b[1])) for b in bounds])
    codes = np.array([names.index(d) for d in dtypes], dtype=np.int16)
    return pd.DataFrame(
        {
            VALUE: values,
            DTYPE: pd.Categorical.from_codes(np.repeat(codes, n), names),
            LOW: np.repeat(low, n),
            HIGH: np.repeat(high, n),
        }
    )


def _is_numeric(dtype: object) -> bool:
    return pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)


def validate_feature_table(
    table: pd.DataFrame, entity: str, units: Mapping[str, str], *, period: str | None = None
) -> ValidationReport:
    """Check the feature table of `entity` ('provider' or 'person') against its contract.

    `period` (pass the period the features were built for) is the period every row must have;
    without it, rows must share the table's most common period. `units`: every feature column of
    the entity with its unit, from the feature dictionary (`features.dictionary.feature_units`). Findings name the table
    (features.provider / features.person), the column and the rule, with up to five example rows
    giving entity_id and the value. Raises gx_run.CheckFailedToRun if GX could not run a rule.
    """
    started = time.perf_counter()
    name = table_name(entity)
    frame = table.reset_index(drop=True)  # example rows are looked up by position
    twice = frame.columns.duplicated()  # GX cannot tell them apart: reported here, and the first one checked
    frame = frame.loc[:, ~twice] if twice.any() else frame
    present = [c for c in units if c in frame.columns]
    values = values_frame(frame, present, units)
    context = gx_run.new_context()
    report = ValidationReport(dataset=name if period is None else f"{name} of {period}", rows={name: len(frame)})
    report.timings["setup"] = time.perf_counter() - started
    started = time.perf_counter()
    result = gx_run.run_suite(context, name, frame, table_suite(entity, frame, units, period))
    report.findings = [Finding(name, c, ONCE, 0, len(frame)) for c in dict.fromkeys(table.columns[twice])]
    report.findings += _table_findings(result, frame, name)
    report.checks_run = len(result.results)
    report.timings[name] = time.perf_counter() - started
    started = time.perf_counter()
    result = _run_complete(context, name + ".values", values, values_suite(entity))
    report.findings += _value_findings(result, frame, name, present, units)
    report.checks_run += len(result.results) - 1  # the two sides of the range are one rule
    report.timings[name + ".values"] = time.perf_counter() - started
    return report


def _run_complete(
    context: AbstractDataContext, name: str, frame: pd.DataFrame, suite: gx.ExpectationSuite
) -> ExpectationSuiteValidationResult:
    """gx_run.run_suite, but returning every unexpected row label (COMPLETE result format)."""
    asset = context.data_sources.add_pandas(name=name).add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe(name)
    with gx_run._without_batch_fingerprint(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(
            suite,
            result_format={
                "result_format": "COMPLETE",
                "return_unexpected_index_query": False,
                "partial_unexpected_count": 0,
            },
        )


def _table_findings(result: ExpectationSuiteValidationResult, frame: pd.DataFrame, name: str) -> list[Finding]:
    """Findings in suite order; the column-set rule becomes one finding per missing or extra column."""
    out = []
    keys = [ENTITY_ID] if ENTITY_ID in frame.columns else []
    for finding in gx_run.findings_from(result, frame, {name: frame}, {name: keys}):
        if finding.rule != PRESENT:
            out.append(finding)
            continue
        outcome = next(o for o in result.results if o.expectation_config.meta.get(r.META_RULE) == PRESENT)
        mismatched = outcome.result.get("details", {}).get("mismatched", {})
        out += [Finding(name, c, PRESENT, 0, len(frame)) for c in mismatched.get("missing", [])]
        out += [Finding(name, c, NOT_EXTRA, 0, len(frame)) for c in mismatched.get("unexpected", [])]
    return out


def _value_findings(
    result: ExpectationSuiteValidationResult,
    frame: pd.DataFrame,
    name: str,
    columns: Sequence[str],
    units: Mapping[str, str],
) -> list[Finding]:
    """One finding per column and rule broken, from the unexpected rows of the values frame."""
    n = max(len(frame), 1)
    broken: dict[tuple[int, str], list[np.ndarray]] = {}
    for outcome in result.results:
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            message = outcome.exception_info.get("exception_message", "unknown error")
            raise gx_run.CheckFailedToRun(f"{outcome.expectation_config.type} on {name} values: {message}")
        if outcome.success:
            continue
        labels = np.sort(np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64))
        positions, rows = np.divmod(labels, n)
        starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]]) if len(labels) else []
        rule = outcome.expectation_config.meta[r.META_RULE]
        for position, part in zip(positions[starts], np.split(rows, starts[1:])):
            broken.setdefault((int(position), rule), []).append(part)
    findings = []
    for (position, rule), parts in sorted(broken.items(), key=lambda kv: (kv[0][0], _VALUE_RULES.index(kv[0][1]))):
        column = columns[position]
        rows = np.unique(np.concatenate(parts))
        words = range_rule(column, units) if rule == IN_RANGE else rule
        findings.append(
            Finding(
                name,
                column,
                words,
                len(rows),
                len(frame),
                [_example(frame, column, int(row)) for row in rows[:MAX_EXAMPLES]],
            )
        )
    return findings


def _example(frame: pd.DataFrame, column: str, row: int) -> dict[str, object]:
    example: dict[str, object] = {"row": row + 1}
    if ENTITY_ID in frame.columns:
        example[ENTITY_ID] = json_value(frame[ENTITY_ID].iat[row])
    example[column] = json_value(frame[column].iat[row])
    return example
