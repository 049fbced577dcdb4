"""Training as a Prefect flow: validate → features → fit → evaluate → register.

The flow names the steps and passes data between them; every rule lives in data_contracts/,
features/ and models/ and is tested there without Prefect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from data_contracts.vocabulary import data_periods
from features.audit_rules import rules_version
from models import tracking
from models.job import TrainedEntity, run_artifacts, signature_sample, train_models, training_periods
from models.training import TrainConfig
from pipelines.io import code_version, dataset_fingerprint, dataset_key, synthetic_truth
from pipelines.settings import Settings, outcomes_url, train_configs
from pipelines.tasks import check_contract, check_features, features_of, load_inputs, with_outcomes


@dataclass
class TrainSummary:
    until: str
    trained: dict[str, TrainedEntity]
    registered: dict[str, tracking.Registered]
    tracking_uri: str
    labels: pd.DataFrame  # what the models learnt from: the labels file and reviewers' outcomes
    recorded: int  # how many of those came from the outcomes database


@task(cache_policy=NO_CACHE, persist_result=False)
def fit_models(feature_sets, labels, until: str, configs: dict[str, TrainConfig], truth, never) -> dict:
    return train_models(feature_sets, labels, until, configs, truth, never)


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def register(trained: TrainedEntity, sample: pd.DataFrame, params: dict, tags: dict) -> tracking.Registered:
    return tracking.log_and_register(
        trained.entity,
        trained.result.model,
        sample,
        params,
        trained.metrics,
        run_artifacts(trained),
        tags,
        promote=False,
    )


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def promote(pending: dict, metrics: dict) -> dict:
    return tracking.promote_all(pending, metrics)


@flow(name="fundguard-train", persist_result=False, log_prints=True)
def train_flow(data: Path, labels: Path | None, settings: Settings, until: str | None = None) -> TrainSummary:
    log = get_run_logger()
    m = settings.model
    tables, file_labels = load_inputs(data, labels)
    label_table, recorded = with_outcomes(file_labels, outcomes_url(settings), dataset_key(data))
    log.info(f"labels: {len(file_labels)} from {labels}, {recorded} recorded by reviewers (theirs win)")
    check_contract(tables, label_table)
    until, wanted = training_periods(data_periods(tables["claims"]), until)
    feature_sets = {p: features_of(tables, p, m.lookback_months, m.min_peer_group) for p in wanted}
    for fs in feature_sets.values():
        check_features(fs)
    truth, never = synthetic_truth(data)
    trained = fit_models(feature_sets, label_table, until, train_configs(m), truth, never)
    uri = tracking.configure(settings.mlflow_tracking_uri, settings.data_dir)
    tags = {
        "until": until,
        "data_fingerprint": dataset_fingerprint(data, [labels] if labels else []),
        "code_version": code_version(),
        "rules_version": rules_version(),
        "labels_file": str(labels),
        "labels_recorded_by_reviewers": str(recorded),
    }
    registered = {}
    for entity, result in trained.items():
        params = {
            **m.model_dump(),
            "blend": result.result.model.blend.describe(),
            "train_periods": ",".join(result.result.train_periods),
        }
        sample = signature_sample(result, feature_sets[until].table(entity))
        registered[entity] = register(result, sample, params, tags)
    registered = promote(registered, {e: t.metrics for e, t in trained.items()})
    for entity in registered:
        log.info(registered[entity].message)
    return TrainSummary(until, trained, registered, uri, label_table, recorded)
