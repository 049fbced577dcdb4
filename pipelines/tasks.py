"""The Prefect tasks both flows use: each a one-line call of a library function, plus retries.

Inputs and outputs are large DataFrames: no input hashing for caches, no result files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from data_contracts.labels import merge_labels
from data_contracts.tables import load_dataset, load_labels
from data_contracts.validate import ValidationReport, validate_tables
from features.build import FeatureSet, build_feature_set, check_feature_set
from serving.store.outcomes import OutcomeStore

HEAVY = dict(cache_policy=NO_CACHE, persist_result=False)
NO_LABELS = pd.DataFrame(
    {
        "entity_type": pd.Series(dtype="str"),
        "entity_id": pd.Series(dtype="str"),
        "period": pd.Series(dtype="str"),
        "outcome": pd.Series(dtype="str"),
    }
)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def load_inputs(data: Path, labels: Path | None) -> tuple[dict, pd.DataFrame]:
    return load_dataset(data), (load_labels(labels) if labels else NO_LABELS.copy())


def labels_with_outcomes(file_labels: pd.DataFrame, url: str, dataset: str | None = None) -> tuple[pd.DataFrame, int]:
    """The labels file merged with the outcomes reviewers recorded at `url` on lists of `dataset`,
    and how many outcomes that gave."""
    recorded = OutcomeStore(url).outcome_labels(dataset)
    return merge_labels(file_labels, recorded), len(recorded)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def with_outcomes(file_labels: pd.DataFrame, url: str, dataset: str) -> tuple[pd.DataFrame, int]:
    return labels_with_outcomes(file_labels, url, dataset)


@task(cache_policy=NO_CACHE, persist_result=False)
def check_contract(tables: dict, labels: pd.DataFrame) -> None:
    """Every contract rule on the tables, and on the labels when there are any."""
    validate_tables(tables, labels if len(labels) else None).raise_for_violations()


@task(cache_policy=NO_CACHE, persist_result=False)
def features_of(tables: dict, period: str, lookback: int, min_peer: int) -> FeatureSet:
    return build_feature_set(tables, period, lookback_months=lookback, min_peer_group=min_peer)


@task(cache_policy=NO_CACHE, persist_result=False)
def check_features(fs: FeatureSet) -> None:
    """The feature-table contract: fail closed before anything is fitted or scored."""
    report: ValidationReport | None = check_feature_set(fs)
    if report is not None:
        report.raise_for_violations()
