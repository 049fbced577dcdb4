"""The notebooks run, top to bottom, on the tiny region: a notebook that no longer runs is a
broken door into the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import tracking
from models.job import run_artifacts, signature_sample
from pipelines.io import dataset_key
from serving.report.render import render_report
from serving.scoring.period import score_period
from serving.scoring.ranking import ListOptions
from serving.store.scored_month import write_period

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def scored_run(trained_tiny, tmp_path_factory):
    """A champion of each entity type in an MLflow store of its own, and the last month scored."""
    root = tmp_path_factory.mktemp("notebook-run")
    uri = tracking.configure(f"sqlite:///{root / 'mlflow.db'}", root)
    until = trained_tiny["periods"][-2]
    versions = {}
    for entity, trained in trained_tiny["outcomes"].items():
        sample = signature_sample(trained, trained_tiny["feature_sets"][until].table(entity), 20)
        versions[entity] = tracking.log_and_register(
            entity, trained.result.model, sample, {}, trained.metrics, run_artifacts(trained), {"until": until}
        ).version
    period = trained_tiny["periods"][-1]
    models = {e: (o.result.model, versions[e]) for e, o in trained_tiny["outcomes"].items()}
    scored = score_period(
        trained_tiny["tables"],
        trained_tiny["labels"],
        trained_tiny["feature_sets"][period],
        models,
        {"provider": ListOptions(), "person": ListOptions()},
        "en",
        1,
        {"data_fingerprint": "t", "code_version": "t"},
        {"provider": 4, "person": 4},
    )
    write_period(
        root / "scores" / period,
        {e: lst.listed for e, lst in scored.lists.items()},
        scored.cases,
        render_report(scored.report),
        {"period": period, "data": dataset_key(trained_tiny["dir"]), "models": versions, "rows": {}},
    )
    return {"uri": uri, "scores": root / "scores", "data": trained_tiny["dir"]}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_on_the_tiny_region(notebook, scored_run, monkeypatch):
    import nbclient
    import nbformat

    assert NOTEBOOKS, "no notebook found"
    monkeypatch.setenv("FUNDGUARD_DATA", str(scored_run["data"]))
    monkeypatch.setenv("FUNDGUARD_SCORES", str(scored_run["scores"]))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", scored_run["uri"])
    nb = nbformat.read(notebook, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent.parent)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]


def test_there_is_a_notebook_to_run():
    assert NOTEBOOKS, "notebooks/ holds no notebook"
