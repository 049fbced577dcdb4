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
    from data_contracts.vocabulary import data_periods
    from features.build import build_feature_set
    from models.job import train_models
    from pipelines.settings import ModelSettings, train_configs

    out = tmp_path_factory.mktemp("trained") / "tiny9"
    generate(out, scale="tiny", seed=TINY_SEED, months=9)
    tables, labels = load_dataset(out), load_labels(out / "labels.csv")
    truth = pd.read_csv(out / "truth.csv", dtype={"period": str})
    periods = data_periods(tables["claims"])
    feature_sets = {p: build_feature_set(tables, p) for p in periods}
    configs = train_configs(ModelSettings(provider_capacity_share=0.1, person_capacity=20))
    outcomes = train_models(feature_sets, labels, periods[-2], configs, truth, "over_testing")
    return {
        "dir": out,
        "tables": tables,
        "labels": labels,
        "truth": truth,
        "periods": periods,
        "feature_sets": feature_sets,
        "configs": configs,
        "outcomes": outcomes,
    }


# tiers: every test that starts a Prefect API, a browser or the fuzzer is marked by what it uses,
# so `make test-fast` (-m "not flow and not browser and not fuzz and not slow") skips them
_TIER_BY_MODULE = {"test_browser": "browser", "test_fuzz": "fuzz"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "prefect_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.flow)
        tier = _TIER_BY_MODULE.get(item.module.__name__.rsplit(".", 1)[-1]) if item.module else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
