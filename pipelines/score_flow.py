"""Scoring as Prefect flows: one period on demand, and the monthly run (validate → score → report).

    fundguard score --data DIR --period 2026-01 --out DIR     # one period, by hand
    fundguard schedule --data DIR --out DIR                   # serve the monthly deployment
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from data_contracts.tables import load_dataset, load_labels
from features.build import build_feature_set
from models import tracking
from models.fit import data_periods
from pipelines.io import code_version, dataset_fingerprint
from pipelines.settings import Settings, outcomes_url
from pipelines.train_flow import ContractBroken, check_contract, check_features, with_outcomes
from serving.outcomes import dataset_key
from serving.outputs import write_period
from serving.period import ScoredPeriod, score_period
from serving.report import render_report
from serving.scoring import GRADE_RULE, ListOptions

HEAVY = dict(cache_policy=NO_CACHE, persist_result=False)
MONTHLY_CRON = "0 6 3 * *"  # 06:00 on the 3rd: the previous month's settlements are exported by then


class NothingToScore(Exception):
    """The period is not in the data, or holds no settlements (exit status 1 with the reason)."""


@dataclass
class ScoreRequest:
    period: str | None = None
    top: int | None = None
    regions: tuple[str, ...] = ()
    provider_types: tuple[str, ...] = ()
    skip_inspected_months: int = 0
    lang: str = "en"


@task(retries=2, retry_delay_seconds=5, **HEAVY)
def load_for_scoring(data: Path, labels: Path | None) -> tuple[dict, pd.DataFrame]:
    table = load_labels(labels) if labels else pd.DataFrame(columns=["entity_type", "entity_id", "period", "outcome"])
    return load_dataset(data), table


@task(retries=2, retry_delay_seconds=5, **HEAVY)
def champion(entity: str):
    return tracking.load_champion(entity)


@task(**HEAVY)
def score(tables, labels, fs, models, options, lang, delay, stamps, case_count, lookback) -> ScoredPeriod:
    return score_period(tables, labels, fs, models, options, lang, delay, stamps, case_count,
                        lookback_months=lookback)


@task(retries=1, **HEAVY)
def write(target: Path, scored: ScoredPeriod, manifest: dict) -> Path:
    lists = {e: lst.listed for e, lst in scored.lists.items()}
    return write_period(target, lists, scored.cases, render_report(scored.report), manifest)


def check_period(claims: pd.DataFrame, period: str | None) -> str:
    """The period to score (default: the latest in the data); NothingToScore says why not."""
    periods = data_periods(claims)
    period = period or periods[-1]
    if period not in periods:
        raise NothingToScore(f"period {period} is not in the data, which covers {periods[0]}..{periods[-1]}")
    if not (claims["settle_time"].dt.strftime("%Y-%m") == period).any():
        raise NothingToScore(f"no claims were settled in {period}: check that month's export before scoring it")
    return period


def _options(settings: Settings, req: ScoreRequest, n_providers: int) -> tuple[dict, dict]:
    options = {e: ListOptions(req.top, req.regions, req.provider_types if e == "provider" else (),
                              req.skip_inspected_months) for e in ("provider", "person")}
    capacity = {"provider": max(1, round(settings.model.provider_capacity_share * n_providers)),
                "person": settings.model.person_capacity}
    cases = {e: req.top or 2 * capacity[e] for e in capacity}
    return options, cases


@flow(name="fundguard-score", persist_result=False, log_prints=True)
def score_flow(data: Path, out: Path, settings: Settings, request: ScoreRequest, labels: Path | None = None) -> Path:
    log = get_run_logger()
    labels = labels or (data / "labels.csv" if (data / "labels.csv").is_file() else None)
    tables, label_table = load_for_scoring(data, labels)
    label_table, _ = with_outcomes(label_table, outcomes_url(settings), data)
    report = check_contract(tables, label_table)
    if not report.ok:
        raise ContractBroken(report)
    period = check_period(tables["claims"], request.period)
    m = settings.model
    tracking.configure(settings.mlflow_tracking_uri, settings.data_dir)
    models = {e: champion(e) for e in ("provider", "person")}
    fs = build_feature_set(tables, period, lookback_months=m.lookback_months, min_peer_group=m.min_peer_group)
    check_features(fs)
    stamps = {"data_fingerprint": dataset_fingerprint(data, [labels] if labels else []),
              "code_version": code_version()}
    options, cases = _options(settings, request, len(fs.provider))
    scored = score(tables, label_table, fs, models, options, request.lang, m.label_delay_months, stamps, cases,
                   m.lookback_months)
    manifest = {"period": period, "data": dataset_key(data), "models": {e: v for e, (_, v) in models.items()}, **stamps,
                "credit_grades": GRADE_RULE, "request": request.__dict__,
                "rows": {e: len(lst.listed) for e, lst in scored.lists.items()}}
    target = write(out / period, scored, manifest)
    log.info(f"inspection list for {period} written to {target}")
    return target


@flow(name="fundguard-monthly", persist_result=False, log_prints=True)
def monthly_flow(data: str, out: str, lang: str = "en") -> str:
    """The unattended monthly job: validate → score the latest month → report."""
    from pipelines.settings import load_settings

    target = score_flow(Path(data), Path(out), load_settings(), ScoreRequest(lang=lang))
    return str(target)


def monthly_deployment(data: Path, out: Path, cron: str = MONTHLY_CRON):
    """The monthly deployment: the monthly flow on `cron`, reading `data`, writing into `out`."""
    return monthly_flow.to_deployment(name="fundguard-monthly", cron=cron,
                                      parameters={"data": str(data.resolve()), "out": str(out.resolve())})


def serve_monthly(data: Path, out: Path, cron: str = MONTHLY_CRON) -> None:
    """Register the monthly deployment and run it on schedule (needs a Prefect server:
    `prefect server start`, or PREFECT_API_URL pointing at one)."""
    from prefect import serve

    serve(monthly_deployment(data, out, cron))
