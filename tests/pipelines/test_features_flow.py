"""The Prefect flow builds the same features as the plain call, with the shards run on Dask workers."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import LocalCluster
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from data_contracts.tables import load_dataset
from features.build import build_feature_set
from pipelines.features_flow import feature_flow, task_runner
from synthetic.generate import generate

PERIOD = "2025-06"  # the last month of the tiny region
N_SHARDS = 3


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("flow") / "tiny"
    generate(out, scale="tiny", seed=7)
    return out


@pytest.fixture(scope="module")
def cluster():
    """Two small worker processes, so shards and functions really cross a process boundary."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB", dashboard_address=None
    ) as local:
        yield local


def test_flow_on_dask_equals_the_plain_build(prefect_api, tiny_data, cluster):
    fs = feature_flow(tiny_data, PERIOD, n_shards=N_SHARDS, dask_address=cluster.scheduler_address)
    plain = build_feature_set(load_dataset(tiny_data), PERIOD)
    assert len(fs.provider) and len(fs.person)
    pd.testing.assert_frame_equal(fs.provider, plain.provider)
    pd.testing.assert_frame_equal(fs.person, plain.person)

    # one Prefect task run per shard and entity, each executed on the cluster's workers
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="measure_shard")))
    assert len(runs) == 2 * N_SHARDS and all(r.state.is_completed() for r in runs)
    # the cluster's scheduler saw them computed (on its worker processes, not in this one)
    assert cluster.scheduler.task_prefixes["measure_shard"].all_durations["compute"] > 0


def test_task_runner_choice():
    assert isinstance(task_runner(1), ThreadPoolTaskRunner)
    local = task_runner(4)
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["threads_per_worker"] == 1
    remote = task_runner(4, "tcp://scheduler:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://scheduler:8786"
