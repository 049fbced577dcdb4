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


@pytest.fixture(scope="session")
def trained_tiny(tmp_path_factory):
    """A 9-month tiny region, its features for every month, and both models trained up to its
    second-to-last month (measured against the planted truth of the last)."""
    from data_contracts.tables import load_dataset, load_labels
    from features.build import build_feature_set
    from models.fit import data_periods, train_models
    from models.training import TrainConfig

    out = tmp_path_factory.mktemp("trained") / "tiny9"
    generate(out, scale="tiny", seed=TINY_SEED, months=9)
    tables, labels = load_dataset(out), load_labels(out / "labels.csv")
    truth = pd.read_csv(out / "truth.csv", dtype={"period": str})
    periods = data_periods(tables["claims"])
    feature_sets = {p: build_feature_set(tables, p) for p in periods}
    configs = {"provider": TrainConfig(k_share=0.1), "person": TrainConfig(k_fixed=20)}
    outcomes = train_models(feature_sets, labels, periods[-2], configs, truth, "over_testing")
    return {"dir": out, "tables": tables, "labels": labels, "truth": truth, "periods": periods,
            "feature_sets": feature_sets, "configs": configs, "outcomes": outcomes}
