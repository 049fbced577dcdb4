"""Scoring as Prefect flows: one period on demand, and the monthly run (validate → score → report).

    fundguard score --data DIR --period 2026-01 --out DIR     # one period, by hand
    fundguard schedule --data DIR --out DIR                   # serve the monthly deployment

The flows name the steps and pass data between them; the rules (which period, capacity, list
options, the month folder's layout) live in serving/ and models/.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from data_contracts.vocabulary import ENTITIES
from features.audit_rules import rules_version
from features.build import build_feature_set
from models import tracking
from pipelines.io import code_version, dataset_fingerprint, dataset_key
from pipelines.settings import Settings, outcomes_url, train_configs
from pipelines.tasks import check_contract, check_features, load_inputs, with_outcomes
from serving.report.render import render_report
from serving.scoring.period import ScoredPeriod, score_period
from serving.scoring.ranking import NothingToScore, ScoreRequest, case_counts, check_period, list_options
from serving.store.scored_month import month_manifest, write_period

MONTHLY_CRON = "0 6 3 * *"  # 06:00 on the 3rd: the previous month's settlements are exported by then
__all__ = ["NothingToScore", "ScoreRequest", "score_flow", "monthly_flow", "monthly_deployment", "serve_monthly"]


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE, persist_result=False)
def champion(entity: str):
    return tracking.load_champion(entity)


@task(cache_policy=NO_CACHE, persist_result=False)
def score(tables, labels, fs, models, options, lang, delay, stamps, cases, lookback) -> ScoredPeriod:
    return score_period(tables, labels, fs, models, options, lang, delay, stamps, cases, lookback_months=lookback)


@task(retries=1, cache_policy=NO_CACHE, persist_result=False)
def write(target: Path, scored: ScoredPeriod, manifest: dict) -> Path:
    lists = {e: lst.listed for e, lst in scored.lists.items()}
    return write_period(target, lists, scored.cases, render_report(scored.report), manifest)


@flow(name="fundguard-score", persist_result=False, log_prints=True)
def score_flow(data: Path, out: Path, settings: Settings, request: ScoreRequest, labels: Path | None = None) -> Path:
    log = get_run_logger()
    m = settings.model
    tables, label_table = load_inputs(data, labels)
    label_table, _ = with_outcomes(label_table, outcomes_url(settings), dataset_key(data))
    check_contract(tables, label_table)
    period = check_period(tables["claims"], request.period)
    tracking.configure(settings.mlflow_tracking_uri, settings.data_dir)
    models = {e: champion(e) for e in ENTITIES}
    fs = build_feature_set(tables, period, lookback_months=m.lookback_months, min_peer_group=m.min_peer_group)
    check_features(fs)
    stamps = {
        "data_fingerprint": dataset_fingerprint(data, [labels] if labels else []),
        "code_version": code_version(),
        "rules_version": rules_version(),
    }
    configs, active = train_configs(m), {e: len(fs.table(e)) for e in ENTITIES}
    capacity = {e: configs[e].capacity(active[e]) for e in ENTITIES}
    cases = case_counts(request, configs, active)
    options = list_options(request, capacity, m.exploration_share)
    scored = score(
        tables, label_table, fs, models, options, request.lang, m.label_delay_months, stamps, cases, m.lookback_months
    )
    manifest = month_manifest(
        period,
        dataset_key(data),
        {e: v for e, (_, v) in models.items()},
        stamps,
        request.__dict__,
        {e: len(lst.listed) for e, lst in scored.lists.items()},
        m.lookback_months,
    )
    target = write(out / period, scored, manifest)
    log.info(f"inspection list for {period} written to {target}")
    return target


@flow(name="fundguard-monthly", persist_result=False, log_prints=True)
def monthly_flow(data: str, out: str, lang: str = "en") -> str:
    """The unattended monthly job: validate → score the latest month → report."""
    from pipelines.settings import load_settings

    return str(score_flow(Path(data), Path(out), load_settings(), ScoreRequest(lang=lang)))


def monthly_deployment(data: Path, out: Path, cron: str = MONTHLY_CRON):
    """The monthly deployment: the monthly flow on `cron`, reading `data`, writing into `out`."""
    return monthly_flow.to_deployment(
        name="fundguard-monthly", cron=cron, parameters={"data": str(data.resolve()), "out": str(out.resolve())}
    )


def serve_monthly(data: Path, out: Path, cron: str = MONTHLY_CRON) -> None:
    """Register the monthly deployment and run it on schedule (needs a Prefect server:
    `prefect server start`, or PREFECT_API_URL pointing at one)."""
    from prefect import serve

    serve(monthly_deployment(data, out, cron))
