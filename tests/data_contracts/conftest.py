"""The contract tests' sample dataset: a tiny hand-made region that keeps every contract rule.

Exposed through fixtures (the tests run with --import-mode=importlib, so test folders are not
importable): `tables` is a fresh copy, `write` writes a dataset folder, and the session-scoped
`make_tables`, `make_labels` and `write_tables` hand out the builders themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

TODAY = datetime.date(2024, 6, 30)


def _sample_tables() -> dict[str, pd.DataFrame]:
    """Three providers, three persons, six catalogue items, four claims with seven lines."""
    providers = pd.DataFrame(
        {
            "provider_id": ["P001", "P002", "P003"],
            "provider_type": ["hospital", "clinic", "pharmacy"],
            "level": pd.array([3, 1, None], dtype="Int64"),
            "ownership": ["public", "private", "private"],
            "region": ["320102", "320102", "320104"],
            "beds": [500, 0, 0],
            "staff": [210, 3, 2],
            "contract_start": pd.to_datetime(["2015-01-01", "2019-07-01", "2021-03-15"]),
        }
    )
    insured = pd.DataFrame(
        {
            "person_id": ["I001", "I002", "I003"],
            "sex": ["F", "M", "F"],
            "birth_date": pd.to_datetime(["1980-05-01", "1950-02-03", "2010-07-07"]),
            "scheme": ["employee", "resident", "resident"],
            "region": ["320102", "320104", "320102"],
        }
    )
    catalog = pd.DataFrame(
        {
            "item_code": ["D001", "S001", "S002", "S003", "M001", "G001"],
            "item_name": ["amoxicillin 0.25g", "consultation", "ward day package", "nursing", "gauze", "gyn exam"],
            "item_type": ["drug", "service", "service", "service", "material", "service"],
            "coverage_class": ["A", "A", "B", "B", "C", "A"],
            "sex_restriction": [None, None, None, None, None, "F"],
            "reference_price": [12.5, 30.0, 200.0, 20.0, 5.25, 40.0],
            "max_daily_quantity": [4.0, None, 1.0, None, None, None],
            "bundle_code": [None, None, None, "S002", None, None],
        }
    )
    return {"providers": providers, "insured": insured, "catalog": catalog, **_claims()}


def _claims() -> dict[str, pd.DataFrame]:
    claims = pd.DataFrame(
        {
            "claim_id": ["C001", "C002", "C003", "C004"],
            "person_id": ["I001", "I002", "I003", "I001"],
            "provider_id": ["P001", "P001", "P003", "P002"],
            "doctor_id": ["P001-D0001", "P001-D0002", None, "P002-D0001"],
            "setting": ["outpatient", "inpatient", "pharmacy", "outpatient"],
            "admit_date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-10", "2024-03-15"]),
            "discharge_date": pd.to_datetime(["2024-03-01", "2024-03-06", "2024-03-10", "2024-03-15"]),
            "settle_time": pd.to_datetime(
                ["2024-03-01 10:15:00", "2024-03-06 16:00:00", "2024-03-10 09:30:00", "2024-03-15 11:00:00"]
            ),
            "diagnosis": ["J06.9", "I21.9", None, "N76.0"],
            "drg": [None, "FM19", None, None],
            "total_amount": [55.0, 260.5, 12.5, 40.0],
            "fund_paid": [30.0, 180.0, 0.0, 20.0],
            "personal_account_paid": [15.0, 0.0, 12.5, 10.0],
            "self_paid": [10.0, 80.5, 0.0, 10.0],
            "out_of_area": [False, True, False, False],
        }
    )
    items = pd.DataFrame(
        {
            "claim_id": ["C001", "C001", "C002", "C002", "C002", "C003", "C004"],
            "line_no": [1, 2, 1, 2, 3, 1, 1],
            "item_code": ["S001", "D001", "S002", "D001", "M001", "D001", "G001"],
            "quantity": [1.0, 2.0, 1.0, 4.0, 2.0, 1.0, 1.0],
            "unit_price": [30.0, 12.5, 200.0, 12.5, 5.25, 12.5, 40.0],
            "amount": [30.0, 25.0, 200.0, 50.0, 10.5, 12.5, 40.0],
            "service_date": pd.to_datetime(
                ["2024-03-01", "2024-03-01", "2024-03-02", "2024-03-05", "2024-03-06", "2024-03-10", "2024-03-15"]
            ),
        }
    )
    return {"claims": claims, "claim_items": items}


def _sample_labels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_type": ["provider", "person"],
            "entity_id": ["P001", "I002"],
            "period": ["2024-03", "2024-03"],
            "outcome": ["fraud", "clean"],
            "pattern": ["upcoding", None],
            "amount_recovered": [1200.0, None],
        }
    )


def _write_tables(tables: dict[str, pd.DataFrame], folder: Path, fmt: str = "csv") -> Path:
    """Write each table as folder/NAME.csv or folder/NAME.parquet; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture(scope="session")
def make_tables() -> Callable[[], dict[str, pd.DataFrame]]:
    return _sample_tables


@pytest.fixture(scope="session")
def make_labels() -> Callable[[], pd.DataFrame]:
    return _sample_labels


@pytest.fixture(scope="session")
def write_tables() -> Callable[..., Path]:
    return _write_tables


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    """A fresh copy of the sample dataset (tests may change it)."""
    return _sample_tables()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(tables, fmt="csv") -> a fresh dataset folder under tmp_path."""
    counter = iter(range(1000))

    def _write(frames: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
        return _write_tables(frames, tmp_path / f"dataset{next(counter)}", fmt)

    return _write
