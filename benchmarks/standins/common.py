"""Small helpers shared by the stand-in dataset generators (writing tables, months, money).

The stand-ins are written independently of fundguard's own generator (`synthetic/`): nothing
here imports fundguard. They only need to produce folders in the shape of the claims contract
(/work/shared/contract/CLAIMS_CONTRACT.md), plus `labels.csv` and a `truth.csv` for the contest
harness (benchmarks/contest.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ("providers", "insured", "catalog", "claims", "claim_items")


def month_starts(first: str, count: int) -> list[pd.Timestamp]:
    """The first day of `count` consecutive months starting at `first` (YYYY-MM)."""
    start = pd.Timestamp(f"{first}-01")
    return [start + pd.DateOffset(months=i) for i in range(count)]


def period_of(day: pd.Timestamp) -> str:
    """YYYY-MM of a timestamp."""
    return f"{day.year:04d}-{day.month:02d}"


def cents(values) -> np.ndarray:
    """Round money to cents (half away from zero is not needed; numpy's banker's rounding is fine)."""
    return np.round(np.asarray(values, dtype="float64"), 2)


def write_tables(out: Path, tables: dict[str, pd.DataFrame], fmt: str) -> None:
    """Write the five contract tables as NAME.csv or NAME.parquet into `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = tables[name]
        for stale in (out / f"{name}.csv", out / f"{name}.parquet"):
            stale.unlink(missing_ok=True)  # never leave a second copy in the other format
        if fmt == "parquet":
            frame.to_parquet(out / f"{name}.parquet", index=False)
        else:
            _iso_text(frame).to_csv(out / f"{name}.csv", index=False)


def _iso_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with datetime columns as ISO 8601 text: dates as YYYY-MM-DD, timestamps with a 'T'."""
    frame = frame.copy()
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            col = frame[name]
            midnight = (col.dropna() == col.dropna().dt.normalize()).all()
            frame[name] = col.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
    return frame


def write_sidecars(out: Path, labels: pd.DataFrame, truth: pd.DataFrame, manifest: dict) -> None:
    """labels.csv (for fundguard), truth.csv (for the harness only) and manifest.json."""
    labels.to_csv(out / "labels.csv", index=False)
    truth.to_csv(out / "truth.csv", index=False)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")


class Stopwatch:
    """Elapsed seconds since creation, for the generators' one-line summaries."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.start:.1f} s"
