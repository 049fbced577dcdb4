"""Helpers that turn one contract rule into one GX expectation carrying its own description.

Every expectation's `meta` says which contract table and column the rule is about, the rule in
words, and which columns to show for an example row; the runner reads findings from it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import great_expectations as gx
from great_expectations import expectations as gxe
from great_expectations.expectations.row_conditions import Column, Condition

from data_contracts.tables import SCHEMAS

META_TABLE, META_COLUMN, META_RULE, META_SHOW = "table", "column", "rule", "show"


def expect(
    kind: type[gxe.Expectation], table: str, column: str, rule: str, /, *, show: Sequence[str] = (), **kwargs: object
) -> gxe.Expectation:
    """`kind(**kwargs)` described as rule `rule` on `table.column`; examples show `show`."""
    meta = {META_TABLE: table, META_COLUMN: column, META_RULE: rule, META_SHOW: list(show) or [column]}
    return kind(meta=meta, **kwargs)


def suite(name: str, expectations: Sequence[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=list(expectations))


def not_null(table: str) -> list[gxe.Expectation]:
    """Every column the schema does not mark nullable must have a value."""
    return [
        expect(gxe.ExpectColumnValuesToNotBeNull, table, name, "not null", column=name)
        for name, col in SCHEMAS[table].items()
        if not col.nullable
    ]


def unique(table: str, column: str) -> gxe.Expectation:
    return expect(gxe.ExpectColumnValuesToBeUnique, table, column, "unique", column=column)


def one_of(
    table: str,
    column: str,
    values: Sequence[object],
    *,
    when: Condition | None = None,
    rule: str | None = None,
    show: Sequence[str] = (),
) -> gxe.Expectation:
    words = rule or "one of " + ", ".join(str(v) for v in values)
    return expect(
        gxe.ExpectColumnValuesToBeInSet,
        table,
        column,
        words,
        show=show,
        column=column,
        value_set=list(values),
        row_condition=when,
    )


def at_least(
    table: str,
    column: str,
    minimum: float,
    *,
    strict: bool = False,
    when: Condition | None = None,
    rule: str | None = None,
) -> gxe.Expectation:
    words = rule or f"{'>' if strict else '≥'} {minimum:g}"
    return expect(
        gxe.ExpectColumnValuesToBeBetween,
        table,
        column,
        words,
        column=column,
        min_value=minimum,
        strict_min=strict,
        row_condition=when,
    )


def within(
    table: str, column: str, frame_column: str, tolerance: float, rule: str, show: Sequence[str]
) -> gxe.Expectation:
    """A derived difference column must lie in ±tolerance."""
    return expect(
        gxe.ExpectColumnValuesToBeBetween,
        table,
        column,
        rule,
        show=show,
        column=frame_column,
        min_value=-tolerance,
        max_value=tolerance,
    )


def holds(table: str, column: str, flag: str, rule: str, show: Sequence[str] = ()) -> gxe.Expectation:
    """A derived boolean flag column must be True on every row."""
    return expect(
        gxe.ExpectColumnValuesToBeInSet, table, column, rule, show=show or [column], column=flag, value_set=[True]
    )


def not_after(table: str, column: str, day: datetime.date, rule: str) -> gxe.Expectation:
    latest = datetime.datetime.combine(day, datetime.time())
    return expect(gxe.ExpectColumnValuesToBeBetween, table, column, rule, column=column, max_value=latest)


def is_null(table: str, column: str, when: Condition, rule: str, show: Sequence[str]) -> gxe.Expectation:
    return expect(gxe.ExpectColumnValuesToBeNull, table, column, rule, show=show, column=column, row_condition=when)


def column(name: str) -> Column:
    """A column reference for row conditions, e.g. column(SETTING) == PHARMACY."""
    return Column(name)
