"""City-scale speed and memory of the feature build, against DuckDB SQL over the same Parquet files.

    python benchmarks/bench_features.py DATA_DIR [--period 2025-12]

Times `load_dataset`, then `build_feature_set` for one month with 12 months of history (provider
and person tables, rule hits), with the peak resident memory of this process after each step.
Targets (features): load + build ≤ 90 s and ≤ 8 GB peak on 2 cores.

Baseline: five core provider aggregates of the same month — claims, fund paid, distinct persons,
night share (22:00–06:00) and the most claims with the identical amount on one day — computed by
DuckDB straight from the Parquet files, checked equal to ours, and timed against (a) our full
feature build and (b) the same five aggregates in pandas on the cut history. DuckDB runs last,
so the build's peak memory does not include it. The two short timings are the best of 3.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from data_contracts.tables import load_dataset
from data_contracts.vocabulary import period_bounds
from features.build import build_feature_set
from features.history import History, cut_history

FIVE = ["n_claims", "fund_paid", "n_persons", "night_share", "identical_amount_max"]
TARGET_S, TARGET_GB = 90, 8

DUCKDB_FIVE = """
WITH c AS (
    SELECT provider_id, person_id, fund_paid, total_amount, settle_time,
           hour(settle_time) + minute(settle_time) / 60.0 AS hour
    FROM read_parquet('{claims}')
    WHERE settle_time >= $start AND settle_time < $end
), base AS (
    SELECT provider_id, count(*) AS n_claims, sum(fund_paid) AS fund_paid,
           count(DISTINCT person_id) AS n_persons,
           avg(CASE WHEN hour < 6 OR hour >= 22 THEN 1.0 ELSE 0.0 END) AS night_share
    FROM c GROUP BY provider_id
), same AS (
    SELECT provider_id, max(n) AS identical_amount_max
    FROM (SELECT provider_id, count(*) AS n FROM c
          GROUP BY provider_id, CAST(settle_time AS DATE), total_amount)
    GROUP BY provider_id
)
SELECT * FROM base JOIN same USING (provider_id) ORDER BY provider_id
"""


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def timed(fn, *args, repeat: int = 1, **kwargs):
    """(best wall seconds over `repeat` runs, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def pandas_five(h: History) -> pd.DataFrame:
    cur = h.current
    g = cur.groupby("provider_id")
    same = cur.groupby(["provider_id", "day", "total_amount"]).size()
    return pd.DataFrame(
        {
            "n_claims": g.size(),
            "fund_paid": g["fund_paid"].sum(),
            "n_persons": g["person_id"].nunique(),
            "night_share": g["night"].mean(),
            "identical_amount_max": same.groupby(level=0).max(),
        }
    ).astype(float)


def duckdb_five(data: Path, period: str) -> pd.DataFrame:
    start, end = period_bounds(period)
    claims = str(data / "claims.parquet").replace("'", "''")
    with duckdb.connect() as con:
        out = con.execute(
            DUCKDB_FIVE.format(claims=claims), {"start": start.to_pydatetime(), "end": end.to_pydatetime()}
        ).df()
    return out.set_index("provider_id")[FIVE].astype(float)


def differences(ours: pd.DataFrame, ref: pd.DataFrame) -> list[str]:
    """What differs between two provider x FIVE tables (counts exactly, sums and shares to 1e-9)."""
    if not ours.index.sort_values().equals(ref.index.sort_values()):
        return [f"providers differ: {len(ours.index.symmetric_difference(ref.index))} not in both"]
    ref = ref.reindex(ours.index)
    problems = []
    for col in FIVE:
        ok = np.isclose(ours[col], ref[col], rtol=1e-9, atol=1e-9)
        if not ok.all():
            problems.append(f"{col}: {int((~ok).sum())} providers differ, e.g. {ours.index[~ok][0]}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="dataset folder with Parquet tables (e.g. data/bench/city)")
    ap.add_argument("--period", default="2025-12", help="month to build, YYYY-MM (default 2025-12)")
    args = ap.parse_args()
    if not (args.data / "claims.parquet").exists():
        sys.exit(
            f"no claims.parquet in {args.data}: generate one with `fundguard generate --out {args.data} --scale city`"
        )
    cores = len(os.sched_getaffinity(0))

    load_s, tables = timed(load_dataset, args.data)
    load_gb = peak_gb()
    build_s, fs = timed(build_feature_set, tables, args.period)
    build_gb = peak_gb()
    ours = fs.provider.set_index("entity_id")[FIVE].rename_axis("provider_id")
    n_prov, n_pers, n_hits = len(fs.provider), len(fs.person), len(fs.hits)
    del fs
    gc.collect()

    cut_s, h = timed(cut_history, tables, args.period)
    five_pd_s, five_pd = timed(pandas_five, h, repeat=3)
    del h, tables
    gc.collect()
    five_db_s, five_db = timed(duckdb_five, args.data, args.period, repeat=3)
    end_gb = peak_gb()

    problems = differences(ours, five_db) + [f"pandas five: {p}" for p in differences(five_pd, five_db)]
    print(
        f"{args.data} {args.period} (12 months of history), {cores} cores: {n_prov:,} providers, "
        f"{n_pers:,} persons, {n_hits:,} rule hits"
    )
    print(f"{'step':<34}{'seconds':>9}{'peak GB':>9}")
    for step, secs, gb in (
        ("load_dataset", load_s, load_gb),
        ("build_feature_set", build_s, build_gb),
        ("cut_history (inside the build)", cut_s, None),
        ("five aggregates, pandas on cut", five_pd_s, None),
        ("five aggregates, DuckDB on Parquet", five_db_s, end_gb),
    ):
        print(f"{step:<34}{secs:>9.2f}{'' if gb is None else f'{gb:.2f}':>9}")
    total = load_s + build_s
    verdict = "PASS" if total <= TARGET_S and build_gb <= TARGET_GB else "FAIL"
    print(f"load + build: {total:.1f} s, peak {build_gb:.2f} GB (targets ≤ {TARGET_S} s, ≤ {TARGET_GB} GB): {verdict}")
    print(f"ratio full feature build / DuckDB five aggregates: {build_s / five_db_s:.1f}x")
    print(f"ratio pandas five aggregates / DuckDB five aggregates: {five_pd_s / five_db_s:.1f}x")
    print("five aggregates equal DuckDB's: " + ("yes" if not problems else "NO\n  " + "\n  ".join(problems)))
    if problems or verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
