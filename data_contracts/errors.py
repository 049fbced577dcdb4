"""What a broken contract looks like: findings, and the exception that carries them."""

from __future__ import annotations

import datetime
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_EXAMPLES = 5


@dataclass
class Finding:
    """One contract rule broken by some rows of one table.

    `column` is None for rules about a whole table or file (e.g. the file is missing).
    `examples` holds at most MAX_EXAMPLES rows, each naming the row's key columns (for
    example claim_id, or claim_id and line_no) and the offending value(s); `row` in an
    example is the 1-based data row within the table (the header is not counted).
    """

    table: str
    column: str | None
    rule: str
    failed_rows: int
    total_rows: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def json_value(value: object) -> object:
    """A JSON-friendly version of one cell value (None for any kind of null, ISO text for dates)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime.datetime):
        return (
            value.date().isoformat()
            if value == datetime.datetime.combine(value.date(), datetime.time())
            else value.isoformat()
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class ContractViolation(Exception):
    """Input that breaks the contract: the one exception for it (exit status 2 at the CLI).

    Raised by the loaders with every problem found (never a raw parser traceback), and by a
    failed check with its report (`report`: the ValidationReport, when there is one).
    """

    def __init__(self, findings: list[Finding], report: Any = None):
        self.findings = list(findings)
        self.report = report
        super().__init__(_summary(self.findings))


def _summary(findings: list[Finding]) -> str:
    lines = [f"{len(findings)} contract violation(s):"]
    for f in findings[:10]:
        where = f.table if f.column is None else f"{f.table}.{f.column}"
        lines.append(f"  {where}: {f.rule} ({f.failed_rows} of {f.total_rows} rows)")
    if len(findings) > 10:
        lines.append(f"  ... and {len(findings) - 10} more")
    return "\n".join(lines)
