"""Shared fixtures: one seeded tiny synthetic region per test session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthetic.generate import generate
from testkit import TINY_SEED, read_tables


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "tiny"
    generate(out, scale="tiny", seed=TINY_SEED)
    return out


@pytest.fixture(scope="session")
def tiny(tiny_dir) -> dict[str, pd.DataFrame]:
    return read_tables(tiny_dir)


@pytest.fixture(scope="session")
def tiny_tables(tiny_dir) -> dict[str, pd.DataFrame]:
    """The tiny region loaded through the contract's loader (typed as the pipeline sees it)."""
    from data_contracts.tables import load_dataset
    return load_dataset(tiny_dir)
