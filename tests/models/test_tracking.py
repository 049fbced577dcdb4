"""MLflow: every run registered, and `champion` moves only for a better validation figure."""

from __future__ import annotations

import numpy as np
import pytest

from models import tracking
from models.job import run_artifacts
from models.labelling import with_label_history


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow")
    uri = tracking.configure(f"sqlite:///{folder / 'mlflow.db'}", folder)
    return uri


def _register(outcome, rows, precision):
    metrics = {**outcome.metrics, tracking.PRIMARY: precision}
    sample = rows[outcome.result.features].head(20)
    return tracking.log_and_register("provider", outcome.result.model, sample, {"k": 1}, metrics,
                                     run_artifacts(outcome), {"until": "test", "data_fingerprint": "abc"})


def test_champion_moves_only_for_a_better_model(store, trained_tiny):
    outcome = trained_tiny["outcomes"]["provider"]
    until = trained_tiny["periods"][-2]
    labels = trained_tiny["labels"]
    rows = with_label_history(trained_tiny["feature_sets"][until].provider,
                              labels[labels["entity_type"] == "provider"], 1)
    first = _register(outcome, rows, 0.5)
    assert first.alias == "champion"
    worse = _register(outcome, rows, 0.4)
    assert worse.alias == "challenger" and "does not beat" in worse.message
    better = _register(outcome, rows, 0.6)
    assert better.alias == "champion" and int(better.version) == int(first.version) + 2

    model, version = tracking.load_champion("provider")
    assert version == better.version
    np.testing.assert_allclose(model.predict(rows), outcome.result.model.predict(rows))

    listing = tracking.list_models()
    mine = listing[listing["model"] == "fundguard-provider"]
    assert len(mine) == 3
    assert mine.set_index("version").loc[int(better.version), "aliases"] == "champion"
    assert mine.set_index("version").loc[int(worse.version), "aliases"] == "challenger"


def test_no_champion_is_a_clear_error(store):
    with pytest.raises(LookupError, match="fundguard train"):
        tracking.load_champion("person")
