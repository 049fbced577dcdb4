"""The web app's fixtures: two scored months of the tiny region (written the way `fundguard score`
writes them, without Prefect), an app over them with a fresh outcomes database, and tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.io import dataset_key
from serving.app import AppConfig, create_app, load_patterns
from serving.report.render import render_report
from serving.scoring.period import score_period
from serving.scoring.ranking import ListOptions
from serving.store.outcomes import OutcomeStore
from serving.store.scored_month import write_period


@pytest.fixture(scope="session")
def scores_dir(trained_tiny, tmp_path_factory) -> Path:
    """data/scores with the last two months of the tiny region, case files for the top 8 / 30."""
    root = tmp_path_factory.mktemp("scores")
    models = {e: (o.result.model, "3") for e, o in trained_tiny["outcomes"].items()}
    stamps = {"data_fingerprint": "test", "code_version": "test"}
    for period in trained_tiny["periods"][-2:]:
        fs = trained_tiny["feature_sets"][period]
        scored = score_period(
            trained_tiny["tables"],
            trained_tiny["labels"],
            fs,
            models,
            {"provider": ListOptions(), "person": ListOptions()},
            "en",
            1,
            stamps,
            {"provider": 8, "person": 30},
        )
        write_period(
            root / period,
            {e: lst.listed for e, lst in scored.lists.items()},
            scored.cases,
            render_report(scored.report),
            {"period": period, "data": dataset_key(trained_tiny["dir"]), "models": {"provider": "3", "person": "3"}},
        )
    return root


@pytest.fixture()
def outcomes_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'outcomes.db'}"


@pytest.fixture()
def app(scores_dir, outcomes_url):
    return create_app(
        AppConfig(scores_dir=scores_dir, outcomes_url=outcomes_url, page_size=10, patterns=load_patterns())
    )


@pytest.fixture()
def tokens(outcomes_url) -> dict[str, str]:
    store = OutcomeStore(outcomes_url)
    return {"reviewer": store.add_user("rita", "reviewer"), "supervisor": store.add_user("sam", "supervisor")}


@pytest.fixture()
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
