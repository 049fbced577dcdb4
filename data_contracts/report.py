"""The human-readable form of a validation report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from data_contracts.errors import Finding


def report_text(
    dataset: str, labels: str | None, findings: Sequence[Finding], rows: Mapping[str, int], checks_run: int
) -> str:
    """A short report: a headline, then one paragraph per broken rule with example rows."""
    subject = dataset if labels is None else f"{dataset} (labels: {labels})"
    if not findings:
        counted = ", ".join(f"{name} {count:,}" for name, count in rows.items())
        return f"Contract check of {subject}: OK, all {checks_run} checks pass ({counted} rows)."
    if checks_run == 0:
        head = f"the input could not be loaded ({len(findings)} problem(s)), so no rules were checked."
    else:
        head = f"{len(findings)} rule(s) broken."
    lines = [f"Contract check of {subject}: {head}"]
    for finding in findings:
        lines.append("")
        lines.extend(finding_text(finding))
    return "\n".join(lines)


def finding_text(finding: Finding) -> list[str]:
    """`table.column — rule "...": N of M rows break it, e.g.` followed by example rows."""
    where = finding.table if finding.column is None else f"{finding.table}.{finding.column}"
    head = f'{where} — rule "{finding.rule}"'
    if finding.failed_rows:
        verb = "breaks" if finding.failed_rows == 1 else "break"
        head += f": {finding.failed_rows:,} of {finding.total_rows:,} rows {verb} it"
        head += ", e.g." if finding.examples else ""
    lines = [head]
    lines.extend("    " + example_text(example) for example in finding.examples)
    return lines


def example_text(example: Mapping[str, object]) -> str:
    parts = [f"{name}={_show(value)}" for name, value in example.items() if name != "row"]
    prefix = f"row {example['row']}: " if "row" in example else ""
    return prefix + " ".join(parts)


def _show(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)
