"""Helpers shared by the tests (importable because pytest's pythonpath includes tests/)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TINY_SEED = 7


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in ("providers", "insured", "catalog", "claims", "claim_items")
    }
    for name, cols in {
        "claims": ["admit_date", "discharge_date"],
        "claim_items": ["service_date"],
        "insured": ["birth_date"],
        "providers": ["contract_start"],
    }.items():
        for col in cols:
            tables[name][col] = pd.to_datetime(tables[name][col])
    for name in ("labels", "truth", "lookalikes"):
        tables[name] = pd.read_csv(folder / f"{name}.csv", dtype={"period": str})
    return tables


def bearer(token: str) -> dict[str, str]:
    """The header the web app's API expects."""
    return {"Authorization": f"Bearer {token}"}
