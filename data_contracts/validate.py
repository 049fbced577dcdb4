"""Check a dataset (and optionally a labels file) against the claims contract.

validate_dataset() loads and checks; validate_tables() checks tables already loaded with
load_dataset()/load_labels(), so a flow can load once, validate, and go on. Neither writes
anything: the caller decides what to do with the report (the CLI writes it and exits 2).
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_contracts import claims as suites
from data_contracts import derived as d
from data_contracts import gx_run
from data_contracts import tables as t
from data_contracts.errors import ContractViolation, Finding
from data_contracts.report import finding_text, report_text

FrameSource = Callable[[], pd.DataFrame]


@dataclass
class ValidationReport:
    """The outcome of one contract check. `ok` is True when no rule is broken.

    `rows` counts the rows of each loaded table, `checks_run` the GX expectations evaluated
    (0 when loading failed), `timings` the seconds spent per step (load, then per table).
    """

    dataset: str
    labels: str | None = None
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    checks_run: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)  # allowed, but worth a look (not a break)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dataset": self.dataset,
            "labels": self.labels,
            "rows": dict(self.rows),
            "checks_run": self.checks_run,
            "findings": [f.to_dict() for f in self.findings],
            "warnings": [f.to_dict() for f in self.warnings],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        text = report_text(self.dataset, self.labels, self.findings, self.rows, self.checks_run)
        for warning in self.warnings:
            text += "\n\nwarning: " + "\n".join(finding_text(warning))
        return text

    def raise_for_violations(self) -> None:
        """Raise ContractViolation carrying the findings, if there are any."""
        if self.findings:
            raise ContractViolation(self.findings, self)


def validate_dataset(
    path: str | Path, labels_path: str | Path | None = None, today: datetime.date | None = None
) -> ValidationReport:
    """Load the dataset folder `path` (and `labels_path`) and check every contract rule.

    Loading problems become the report's findings and checking stops there. `today` (default:
    the current date) is the date birth dates may not be after.
    """
    started = time.perf_counter()
    labels_name = None if labels_path is None else str(labels_path)
    loaded, problems = _load(path, labels_path)
    load_seconds = time.perf_counter() - started
    if problems:
        return ValidationReport(str(path), labels_name, problems, timings={"load": load_seconds})
    dataset, labels = loaded
    report = validate_tables(dataset, labels, today=today)
    report.dataset, report.labels = str(path), labels_name
    report.timings = {"load": load_seconds, **report.timings}
    return report


def _load(path: str | Path, labels_path: str | Path | None) -> tuple[tuple, list[Finding]]:
    problems: list[Finding] = []
    dataset = labels = None
    try:
        dataset = t.load_dataset(path)
    except ContractViolation as violation:
        problems.extend(violation.findings)
    if labels_path is not None:
        try:
            labels = t.load_labels(labels_path)
        except ContractViolation as violation:
            problems.extend(violation.findings)
    return (dataset, labels), problems


def validate_tables(
    tables: dict[str, pd.DataFrame], labels: pd.DataFrame | None = None, today: datetime.date | None = None
) -> ValidationReport:
    """Check tables as returned by load_dataset() (and labels from load_labels()).

    Each table's rules run in one GX call on the table and one on each frame derived from it;
    `today` (default: the current date) is the date birth dates may not be after.
    """
    started = time.perf_counter()
    today = today or datetime.date.today()
    with_span = labels is not None and t.PERIOD_FROM in labels.columns
    all_suites = {**suites.dataset_suites(today), **(suites.labels_suites(with_span) if labels is not None else {})}
    context = gx_run.new_context()
    all_tables = {**tables, t.LABELS: labels} if labels is not None else dict(tables)
    report = ValidationReport(
        dataset="(in memory)",
        rows={name: len(frame) for name, frame in all_tables.items()},
        warnings=formula_like(all_tables),
    )
    report.timings["setup"] = time.perf_counter() - started
    for table, frames in _frames_by_table(tables, labels, today.strftime("%Y-%m")):
        started = time.perf_counter()
        for name, source in frames:
            frame = source()
            result = gx_run.run_suite(context, name, frame, all_suites[name])
            report.findings.extend(gx_run.findings_from(result, frame, all_tables, t.KEYS))
            report.checks_run += len(result.results)
        report.timings[table] = time.perf_counter() - started
    return report


def _frames_by_table(
    tables: dict[str, pd.DataFrame], labels: pd.DataFrame | None, this_month: str
) -> Iterator[tuple[str, list[tuple[str, FrameSource]]]]:
    """Each table with the frames its rules run on; derived frames are built only when needed."""
    links: dict[str, np.ndarray] = {}

    def claim_of_line() -> np.ndarray:
        if t.CLAIMS not in links:
            links[t.CLAIMS] = d.positions(tables[t.CLAIM_ITEMS][t.CLAIM_ID], tables[t.CLAIMS][t.CLAIM_ID])
        return links[t.CLAIMS]

    check = suites.checks_frame
    yield t.PROVIDERS, [(t.PROVIDERS, lambda: tables[t.PROVIDERS])]
    yield t.INSURED, [(t.INSURED, lambda: tables[t.INSURED])]
    yield (
        t.CATALOG,
        [(t.CATALOG, lambda: tables[t.CATALOG]), (check(t.CATALOG), lambda: d.catalog_checks(tables[t.CATALOG]))],
    )
    yield (
        t.CLAIMS,
        [
            (t.CLAIMS, lambda: tables[t.CLAIMS]),
            (suites.PHARMACY_CLAIMS, lambda: d.pharmacy_claims(tables[t.CLAIMS])),
            (suites.NON_INPATIENT_CLAIMS, lambda: d.non_inpatient_claims(tables[t.CLAIMS])),
            (check(t.CLAIMS), lambda: d.claims_checks(tables, claim_of_line())),
        ],
    )
    yield (
        t.CLAIM_ITEMS,
        [
            (t.CLAIM_ITEMS, lambda: tables[t.CLAIM_ITEMS]),
            (check(t.CLAIM_ITEMS), lambda: d.items_checks(tables, claim_of_line())),
        ],
    )
    if labels is not None:
        yield (
            t.LABELS,
            [(t.LABELS, lambda: labels), (check(t.LABELS), lambda: d.labels_checks(labels, tables, this_month))],
        )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SPREADSHEET_TABLES = (t.PROVIDERS, t.INSURED, t.CATALOG, t.LABELS)  # their text reaches the lists and exports


def formula_like(tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """Text cells a spreadsheet would run as a formula (beginning with = + - @, tab or CR): allowed
    by the contract, neutralised in every export, and worth a look (a warning, not a finding)."""
    out = []
    for name, frame in tables.items():
        if name not in SPREADSHEET_TABLES:  # claims and lines reach no spreadsheet, only case files
            continue
        for column in frame.columns:
            values = frame[column]
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            text = values.dropna().astype(str)
            bad = text[text.str.startswith(FORMULA_START)]
            if len(bad):
                key = t.KEYS.get(name, ())
                examples = [
                    {**{k: str(frame.loc[i, k]) for k in key if k in frame.columns}, column: str(bad[i])[:80]}
                    for i in bad.index[:3]
                ]
                out.append(
                    Finding(
                        name,
                        column,
                        "text a spreadsheet would run as a formula (exported as text)",
                        len(bad),
                        len(frame),
                        examples,
                    )
                )
    return out
