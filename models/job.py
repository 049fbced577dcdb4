"""The training job as plain functions: feature history → both entity types → figures.

Flows and the CLI call these; tests call them directly (no Prefect, no MLflow).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from data_contracts.vocabulary import ENTITIES
from features.build import FeatureSet, feature_columns
from features.dictionary import feature_dictionary
from models.evaluation import truth_metrics
from models.labelling import model_rows
from models.training import TrainConfig, TrainResult, model_inputs, train_entity


@dataclass
class TrainedEntity:
    """What training one entity type gave: the fitted model and its figures."""

    entity: str
    result: TrainResult
    test_period: str | None
    test_metrics: dict[str, float]

    @property
    def metrics(self) -> dict[str, float]:
        return {**self.result.metrics, **self.test_metrics}


class TrainingWindowError(ValueError):
    """The data or --until leave no period to learn from (exit status 1 with the reason)."""


def default_until(periods: list[str]) -> str:
    """Learn from the periods before the latest one (the latest is the one to score)."""
    if len(periods) < 2:
        raise TrainingWindowError("the data must span at least two months: one to learn from, one to score")
    return periods[-2]


def training_periods(periods: list[str], until: str | None) -> tuple[str, list[str]]:
    """The last period to learn from (default: all but the latest) and the periods whose features
    training needs: every period up to it, and the one after it (measured against planted truth
    on synthetic data)."""
    until = until or default_until(periods)
    if until not in periods:
        raise TrainingWindowError(f"--until {until} is outside the data ({periods[0]}..{periods[-1]})")
    return until, [p for p in periods if p <= until] + [p for p in periods if p > until][:1]


def signature_sample(trained: TrainedEntity, table: pd.DataFrame, rows: int = 50) -> pd.DataFrame:
    """Model input rows for the registered model's signature and input example: the first rows
    of a feature table, the model's input columns."""
    return table.head(rows)[trained.result.features].reset_index(drop=True)


def stack(feature_sets: Mapping[str, FeatureSet], entity: str) -> pd.DataFrame:
    return pd.concat([fs.table(entity) for _, fs in sorted(feature_sets.items())], ignore_index=True)


def train_models(
    feature_sets: Mapping[str, FeatureSet],
    labels: pd.DataFrame,
    until: str,
    configs: Mapping[str, TrainConfig],
    truth: pd.DataFrame | None = None,
    never_labelled: str | None = None,
    on_entity: Callable[[str], None] | None = None,
) -> dict[str, TrainedEntity]:
    """Train provider and person models on labels up to `until`; with `truth` (synthetic data)
    also measure the first period after `until` against the planted frauds."""
    outcomes = {}
    later = sorted(p for p in feature_sets if p > until)
    for entity in ENTITIES:
        if on_entity:
            on_entity(entity)
        table = stack(feature_sets, entity)
        own = labels[labels["entity_type"] == entity]
        cols = feature_columns(feature_sets[until].table(entity))
        result = train_entity(table, own, cols, model_inputs(entity, cols), until, configs[entity])
        test_period, test = (later[0] if later else None), {}
        if truth is not None and test_period:
            rows = model_rows(table[table["period"] == test_period])
            t = truth[(truth["entity_type"] == entity) & (truth["period"] == test_period)]
            test = truth_metrics(result.model, rows, t, configs[entity], never_labelled)
        outcomes[entity] = TrainedEntity(entity, result, test_period, test)
    return outcomes


def run_artifacts(outcome: TrainedEntity) -> dict:
    """What a data scientist wants next to the model in its run."""
    dictionary = feature_dictionary()
    table = outcome.result.blend_table
    blend = table.assign(blend=table["blend"].map(lambda b: b.describe())) if "blend" in table else table
    return {
        "features.json": outcome.result.features,
        "feature_dictionary.csv": dictionary[dictionary["entity"] == outcome.entity],
        "blend_candidates.csv": blend.head(30),
        "folds.json": [f.describe() for f in outcome.result.folds],
        "verdict.txt": outcome.result.verdict,
    }
