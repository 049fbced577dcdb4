"""Time the contract check on a dataset folder: load, validation per table, peak memory.

    python benchmarks/bench_validate.py DATA_DIR [--labels FILE]

Prints the timings and the report's headline; writes nothing. The target for the "city"
dataset (~3M claims, ~20M claim_items, Parquet) is at most 60 s in all on 2 cores, well
under 8 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from data_contracts.errors import ContractViolation
from data_contracts.tables import load_dataset, load_labels
from data_contracts.validate import validate_tables


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="dataset folder (providers, insured, catalog, claims, claim_items)")
    parser.add_argument("--labels", type=Path, default=None, help="labels file to check as well")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        tables = load_dataset(args.data_dir)
        labels = load_labels(args.labels) if args.labels else None
    except ContractViolation as violation:
        print(f"loading failed:\n{violation}")
        return 2
    loaded = time.perf_counter()
    print(f"load             {loaded - started:7.1f} s   peak RSS {peak_rss_gb():5.2f} GB")
    for name, frame in tables.items():
        print(f"  {name:<14} {len(frame):>12,} rows")

    report = validate_tables(tables, labels)
    for step, seconds in report.timings.items():
        print(f"validate {step:<12}{seconds:7.1f} s")
    finished = time.perf_counter()
    print(f"validation total {finished - loaded:7.1f} s   ({report.checks_run} checks)")
    print(f"all              {finished - started:7.1f} s   peak RSS {peak_rss_gb():5.2f} GB")
    print(report.to_text().splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
