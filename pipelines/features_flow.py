"""Features through Prefect: on this machine, or shard by shard on a Dask cluster.

    from pipelines.features_flow import feature_flow
    fs = feature_flow(Path("data/demo"), "2025-12")                  # one process, no Dask
    fs = feature_flow(data, "2025-12", n_shards=4)                   # a temporary local Dask cluster
    fs = feature_flow(data, "2025-12", n_shards=8, dask_address="tcp://scheduler:8786")  # a running one

    python -m pipelines.features_flow DATA PERIOD [--shards N] [--dask-address ADDR] [--out DIR]

(--dask-address defaults to $FUNDGUARD_DASK_ADDRESS; the Prefect API is $PREFECT_API_URL, or a
temporary local server when unset.)

The feature logic is all in `features.build.build_feature_set`; this module only hands it a
`map_fn` that submits each shard's measures as a Prefect task to the flow's task runner (a
`DaskTaskRunner` when sharded), and gathers the results in shard order. Dask workers need
fundguard installed (they import `features`); the flow process needs the dataset folder.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from data_contracts.tables import load_dataset
from features.build import FeatureSet, build_feature_set
from features.history import History

# Inputs and outputs are large DataFrames: no input hashing for caches, no result files.
HEAVY = dict(cache_policy=NO_CACHE, persist_result=False)


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE, persist_result=False)
def load_tables(data: Path) -> dict[str, pd.DataFrame]:
    return load_dataset(data)


@task(cache_policy=NO_CACHE, persist_result=False)
def measure_shard(fn: Callable[[History], pd.DataFrame], shard: History) -> pd.DataFrame:
    return fn(shard)


def submit_map(fn: Callable[[History], pd.DataFrame], shards: Iterable[History]) -> list[pd.DataFrame]:
    """A `map` for build_feature_set: one task per shard on the flow's task runner, results in order."""
    return measure_shard.map(unmapped(fn), list(shards)).result()


def task_runner(n_shards: int = 1, dask_address: str | None = None) -> TaskRunner:
    """The scheduler at `dask_address`; else a local Dask cluster when sharded; else this process."""
    if dask_address:
        return DaskTaskRunner(address=dask_address)
    if n_shards > 1:
        workers = max(1, min(n_shards, os.cpu_count() or 1))
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1})
    return ThreadPoolTaskRunner(max_workers=1)


@flow(name="build-features", persist_result=False)
def build_features_flow(
    data: Path, period: str, n_shards: int = 1, lookback_months: int = 12, min_peer_group: int = 5
) -> FeatureSet:
    """Load the dataset, then build the period's features with the shards mapped over tasks."""
    tables = load_tables(data)
    return build_feature_set(
        tables,
        period,
        lookback_months=lookback_months,
        min_peer_group=min_peer_group,
        n_shards=n_shards,
        map_fn=submit_map,
    )


@flow(name="features", persist_result=False)
def feature_flow(
    data: Path,
    period: str,
    n_shards: int = 1,
    dask_address: str | None = None,
    lookback_months: int = 12,
    min_peer_group: int = 5,
) -> FeatureSet:
    """Provider and person features of `period` from the dataset folder `data`.

    With `dask_address` (e.g. tcp://scheduler:8786) the shards run on that Dask cluster; with
    `n_shards > 1` and no address, on a local cluster that lives as long as the run.
    """
    runner = task_runner(n_shards, dask_address)
    with temporary_settings(updates=_api_for_workers(runner, dask_address)):
        return build_features_flow.with_options(task_runner=runner)(
            data, period, n_shards, lookback_months, min_peer_group
        )


def _api_for_workers(runner: TaskRunner, dask_address: str | None) -> dict:
    """Without PREFECT_API_URL the flow reports to a temporary server in this process; point Dask
    workers at it too, or each would start a temporary server of its own."""
    if not isinstance(runner, DaskTaskRunner) or PREFECT_API_URL.value():
        return {}
    with get_client(sync_client=True) as client:
        url = str(client.api_url).rstrip("/")
    if dask_address:
        get_run_logger().warning(
            f"PREFECT_API_URL is not set: the Dask workers report to the temporary "
            f"server {url}, which only workers on this machine can reach"
        )
    return {PREFECT_API_URL: url}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Build one month's features through Prefect (and Dask).")
    ap.add_argument("data", type=Path)
    ap.add_argument("period", help="YYYY-MM")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--dask-address", default=os.environ.get("FUNDGUARD_DASK_ADDRESS") or None)
    ap.add_argument("--out", type=Path, help="write provider/person/hits Parquet files here")
    args = ap.parse_args(argv)
    from pipelines.settings import load_settings

    model = load_settings().model  # the same look-back and peer groups as training and scoring
    fs = feature_flow(
        args.data,
        args.period,
        n_shards=args.shards,
        dask_address=args.dask_address,
        lookback_months=model.lookback_months,
        min_peer_group=model.min_peer_group,
    )
    print(f"{args.period}: {len(fs.provider):,} providers, {len(fs.person):,} persons, {len(fs.hits):,} rule hits")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in ("provider", "person", "hits"):
            getattr(fs, name).to_parquet(args.out / f"{name}.parquet", index=False)


if __name__ == "__main__":
    main()
