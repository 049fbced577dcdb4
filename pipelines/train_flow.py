"""Training as a Prefect flow: validate → features → fit → evaluate → register.

Tasks are one-line wrappers around library functions; the logic lives in data_contracts/,
features/ and models/ and is tested without Prefect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from data_contracts.features import validate_feature_table
from data_contracts.tables import load_dataset, load_labels
from data_contracts.validate import ValidationReport, validate_tables
from features.build import FeatureSet, build_feature_set
from models import tracking
from models.fit import Outcome, data_periods, default_until, run_artifacts, train_models
from models.training import TrainConfig
from pipelines.io import code_version, dataset_fingerprint
from pipelines.settings import Settings, outcomes_url
from serving.outcomes import dataset_key, labels_with_outcomes

HEAVY = dict(cache_policy=NO_CACHE, persist_result=False)


class ContractBroken(Exception):
    """The input broke the data contract; `report` says where (exit status 2)."""

    def __init__(self, report: ValidationReport):
        super().__init__(report.to_text())
        self.report = report


@dataclass
class TrainSummary:
    until: str
    outcomes: dict[str, Outcome]
    registered: dict[str, tracking.Registered]
    tracking_uri: str
    labels: pd.DataFrame          # what the models learnt from: the labels file and reviewers' outcomes
    recorded: int                 # how many of those came from the outcomes database


@task(retries=2, retry_delay_seconds=5, **HEAVY)
def load_inputs(data: Path, labels: Path) -> tuple[dict, pd.DataFrame]:
    return load_dataset(data), load_labels(labels)


@task(retries=2, retry_delay_seconds=5, **HEAVY)
def with_outcomes(file_labels: pd.DataFrame, url: str, data: Path) -> tuple[pd.DataFrame, int]:
    return labels_with_outcomes(file_labels, url, dataset_key(data))


@task(**HEAVY)
def check_contract(tables: dict, labels: pd.DataFrame) -> ValidationReport:
    return validate_tables(tables, labels)


@task(**HEAVY)
def features_of(tables: dict, period: str, lookback: int, min_peer: int) -> FeatureSet:
    return build_feature_set(tables, period, lookback_months=lookback, min_peer_group=min_peer)


@task(**HEAVY)
def check_features(fs: FeatureSet) -> None:
    """The feature-table contract: fail closed before anything is fitted or scored."""
    for entity in ("provider", "person"):
        checked = validate_feature_table(fs.table(entity), entity, period=fs.period)
        if not checked.ok:
            raise ContractBroken(checked)


@task(**HEAVY)
def fit_models(feature_sets, labels, until, configs, truth, never) -> dict[str, Outcome]:
    return train_models(feature_sets, labels, until, configs, truth, never)


@task(retries=2, retry_delay_seconds=5, **HEAVY)
def register(outcome: Outcome, sample: pd.DataFrame, params: dict, tags: dict) -> tracking.Registered:
    return tracking.log_and_register(outcome.entity, outcome.result.model, sample, params, outcome.metrics,
                                     run_artifacts(outcome), tags)


def train_configs(settings: Settings) -> dict[str, TrainConfig]:
    m = settings.model
    common = dict(delay=m.label_delay_months, n_folds=m.validation_folds, unlabelled_weight=m.unlabelled_weight,
                  lgbm_params=dict(m.lgbm), iforest_params=dict(m.iforest))
    return {"provider": TrainConfig(k_share=m.provider_capacity_share, **common),
            "person": TrainConfig(k_fixed=m.person_capacity, **common)}


def _truth(data: Path) -> tuple[pd.DataFrame | None, str | None]:
    """Planted frauds of a synthetic region (truth.csv and manifest.json), if this is one."""
    path = data / "truth.csv"
    if not path.is_file():
        return None, None
    manifest = data / "manifest.json"
    never = pd.read_json(manifest, typ="series").get("never_labelled_pattern") if manifest.is_file() else None
    return pd.read_csv(path, dtype={"period": str}), never


@flow(name="fundguard-train", persist_result=False, log_prints=True)
def train_flow(data: Path, labels: Path, settings: Settings, until: str | None = None) -> TrainSummary:
    log = get_run_logger()
    tables, file_labels = load_inputs(data, labels)
    label_table, recorded = with_outcomes(file_labels, outcomes_url(settings), data)
    log.info(f"labels: {len(file_labels)} from {labels}, {recorded} recorded by reviewers (theirs win)")
    report = check_contract(tables, label_table)
    if not report.ok:
        raise ContractBroken(report)
    periods = data_periods(tables["claims"])
    until = until or default_until(periods)
    if until not in periods:
        raise ValueError(f"--until {until} is outside the data ({periods[0]}..{periods[-1]})")
    m = settings.model
    wanted = [p for p in periods if p <= until] + [p for p in periods if p > until][:1]
    feature_sets = {p: features_of(tables, p, m.lookback_months, m.min_peer_group) for p in wanted}
    for fs in feature_sets.values():
        check_features(fs)
    truth, never = _truth(data)
    outcomes = fit_models(feature_sets, label_table, until, train_configs(settings), truth, never)
    uri = tracking.configure(settings.mlflow_tracking_uri, settings.data_dir)
    tags = {"until": until, "data_fingerprint": dataset_fingerprint(data, [labels]),
            "code_version": code_version(), "labels_file": str(labels),
            "labels_recorded_by_reviewers": str(recorded)}
    registered = {}
    for entity, outcome in outcomes.items():
        sample = feature_sets[until].table(entity).head(50)
        sample = sample.assign(prior_fraud_findings=0.0, prior_inspections=0.0)[outcome.result.features]
        params = {**settings.model.model_dump(), "blend": outcome.result.model.blend.describe(),
                  "train_periods": ",".join(outcome.result.train_periods)}
        registered[entity] = register(outcome, sample, params, tags)
        log.info(registered[entity].message)
    return TrainSummary(until, outcomes, registered, uri, label_table, recorded)
