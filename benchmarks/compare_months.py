"""Are two scored months the same? Lists byte for byte (columns both have; `code_version` aside)
and case files (their stamps aside).

    python benchmarks/compare_months.py BEFORE/2026-01 AFTER/2026-01

How the restructure into one room per job was shown to change nothing: the demo scored by the
commit before it and by the commit after (with the one deliberate fix of that commit, rates per
100 claims computed exactly, undone) gave identical provider and person lists.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

STAMPS = ("code_version", "rules_version")


def compare(a: Path, b: Path) -> bool:
    same = True
    for name in ("providers", "persons"):
        x, y = pd.read_csv(a / f"{name}.csv", dtype=str), pd.read_csv(b / f"{name}.csv", dtype=str)
        common = [c for c in x.columns if c in y.columns and c not in STAMPS]
        bx, by = x[common].to_csv(index=False).encode(), y[common].to_csv(index=False).encode()
        print(
            f"{name}: {len(x)} vs {len(y)} rows; only in the first {sorted(set(x.columns) - set(y.columns))}, "
            f"only in the second {sorted(set(y.columns) - set(x.columns))}; common columns identical: {bx == by} "
            f"({hashlib.sha256(bx).hexdigest()[:12]} / {hashlib.sha256(by).hexdigest()[:12]})"
        )
        same &= bx == by
    cases_a = sorted(p.relative_to(a) for p in (a / "cases").rglob("*.json"))
    cases_b = sorted(p.relative_to(b) for p in (b / "cases").rglob("*.json"))
    differ = 0
    for rel in set(cases_a) & set(cases_b):
        ja, jb = (json.loads((root / rel).read_text()) for root in (a, b))
        differ += {k: v for k, v in ja.items() if k not in STAMPS} != {k: v for k, v in jb.items() if k not in STAMPS}
    print(f"case files: {len(cases_a)} vs {len(cases_b)}, same set: {cases_a == cases_b}, differing: {differ}")
    return same


if __name__ == "__main__":
    sys.exit(0 if compare(Path(sys.argv[1]), Path(sys.argv[2])) else 1)
