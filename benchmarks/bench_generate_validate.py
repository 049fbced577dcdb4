"""City-scale speed and memory of `generate` and `validate`, against baselines from the same run.

    python benchmarks/bench_generate_validate.py [--out DIR] [--scale city] [--skip-validate]

Targets (issue: foundation): generate city ≤ 180 s and ≤ 8 GB peak; validate city ≤ 60 s.
Baselines: writing the same numbers of rows and columns with plain Arrow (the I/O floor of
generate), and reading the dataset with plain Arrow (the I/O floor of validate).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CLI = [sys.executable, "-c", "from pipelines.cli import main; main()"]


def run_child(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in GB and exit status of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(CLI + args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024**2, os.waitstatus_to_exitcode(status)


def write_floor(folder: Path, claims: int, lines: int) -> float:
    """Seconds to write random tables of the dataset's shape with Arrow (no generation logic)."""
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for name, rows, n_num, n_str in (("claims", claims, 6, 7), ("claim_items", lines, 4, 2)):
        ids = pc.cast(pa.array(rng.integers(0, rows, rows)), pa.string())
        cols = {f"n{i}": rng.random(rows) for i in range(n_num)}
        cols.update({f"s{i}": ids for i in range(n_str)})
        pq.write_table(pa.table(cols), folder / f"{name}.parquet", compression="zstd")
    return time.perf_counter() - start


def read_floor(data: Path) -> float:
    start = time.perf_counter()
    for f in sorted(data.glob("*.parquet")):
        pq.read_table(f)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("data/bench/city"))
    ap.add_argument("--scale", default="city")
    ap.add_argument("--skip-validate", action="store_true")
    args = ap.parse_args()
    rows = []
    gen_s, gen_gb, rc = run_child(["generate", "--out", str(args.out), "--scale", args.scale])
    if rc:
        sys.exit(f"generate failed with status {rc}")
    n_claims = pq.ParquetFile(args.out / "claims.parquet").metadata.num_rows
    n_lines = pq.ParquetFile(args.out / "claim_items.parquet").metadata.num_rows
    floor_dir = args.out.parent / "floor"
    floor_dir.mkdir(parents=True, exist_ok=True)
    floor_w = write_floor(floor_dir, n_claims, n_lines)
    rows.append(("generate", gen_s, gen_gb, 180, 8, floor_w))
    if not args.skip_validate:
        val_s, val_gb, rc = run_child(
            ["validate", "--data", str(args.out), "--report", str(args.out.parent / "validation.json")]
        )
        if rc not in (0, 2):
            sys.exit(f"validate failed with status {rc}")
        rows.append(("validate", val_s, val_gb, 60, 8, read_floor(args.out)))
    print(f"{args.scale}: {n_claims:,} claims, {n_lines:,} claim lines")
    print(
        f"{'step':<10}{'seconds':>9}{'peak GB':>9}{'target s':>10}{'target GB':>10}"
        f"{'baseline s':>12}{'ratio':>7}  verdict"
    )
    for step, secs, gb, t_s, t_gb, base in rows:
        ok = "PASS" if secs <= t_s and gb <= t_gb else "FAIL"
        print(f"{step:<10}{secs:>9.1f}{gb:>9.2f}{t_s:>10}{t_gb:>10}{base:>12.1f}{secs / base:>7.1f}  {ok}")
    print("baseline: generate vs writing the same rows with plain Arrow; validate vs reading them back")


if __name__ == "__main__":
    main()
