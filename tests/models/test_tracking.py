"""MLflow: every run registered, and `champion` moves only for a better validation figure."""

from __future__ import annotations

import numpy as np
import pytest

from models import tracking
from models.job import run_artifacts


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow")
    uri = tracking.configure(f"sqlite:///{folder / 'mlflow.db'}", folder)
    return uri


def _register(outcome, rows, precision, beats=True):
    metrics = {**outcome.metrics, tracking.PRIMARY: precision, "beats_baselines": float(beats)}
    sample = rows[outcome.result.features].head(20)
    return tracking.log_and_register(
        "provider",
        outcome.result.model,
        sample,
        {"k": 1},
        metrics,
        run_artifacts(outcome),
        {"until": "test", "data_fingerprint": "abc"},
    )


def test_champion_moves_only_for_a_better_model(store, trained_tiny):
    outcome = trained_tiny["outcomes"]["provider"]
    until = trained_tiny["periods"][-2]
    rows = trained_tiny["feature_sets"][until].provider
    first = _register(outcome, rows, 0.5)
    assert first.alias == "champion"
    worse = _register(outcome, rows, 0.4)
    assert worse.alias == "challenger" and "does not beat" in worse.message
    better_but_not_than_baselines = _register(outcome, rows, 0.9, beats=False)
    assert better_but_not_than_baselines.alias == "challenger" and "baselines" in better_but_not_than_baselines.message
    better = _register(outcome, rows, 0.6)
    assert better.alias == "champion" and int(better.version) == int(first.version) + 3

    model, version = tracking.load_champion("provider")
    assert version == better.version
    np.testing.assert_allclose(model.predict(rows), outcome.result.model.predict(rows))

    listing = tracking.list_models()
    mine = listing[listing["model"] == "fundguard-provider"]
    assert len(mine) == 4
    assert mine.set_index("version").loc[int(better.version), "aliases"] == "champion"
    assert mine.set_index("version").loc[int(better_but_not_than_baselines.version), "aliases"] == "challenger"


def test_no_champion_is_a_clear_error(store):
    with pytest.raises(LookupError, match="fundguard train"):
        tracking.load_champion("person")


def test_promotion_needs_the_baselines_beaten_but_a_first_version_always_serves():
    first, why = tracking.promotion({tracking.PRIMARY: 0.1, "beats_baselines": 0.0, "val_folds": 3.0}, None)
    assert first and "WARNING" in why and "baselines" in why
    unsupervised, why = tracking.promotion({"beats_baselines": 0.0}, None)
    assert unsupervised and "unsupervised" in why  # no validation figures at all: still the first champion
    old = {tracking.PRIMARY: 0.5, tracking.SECONDARY: 0.5}
    assert tracking.promotion({tracking.PRIMARY: 0.6, tracking.SECONDARY: 0.5, "beats_baselines": 1.0}, old)[0]
    assert not tracking.promotion({tracking.PRIMARY: 0.6, tracking.SECONDARY: 0.5, "beats_baselines": 0.0}, old)[0]
    assert not tracking.promotion({tracking.PRIMARY: 0.5, tracking.SECONDARY: 0.4, "beats_baselines": 1.0}, old)[0]


def test_registration_sets_aliases_only_once_every_entity_is_registered(tmp_path, trained_tiny):
    tracking.configure(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path)
    until = trained_tiny["periods"][-2]
    pending, metrics = {}, {}
    for entity, outcome in trained_tiny["outcomes"].items():
        rows = trained_tiny["feature_sets"][until].table(entity)
        metrics[entity] = {**outcome.metrics, "beats_baselines": 1.0}
        pending[entity] = tracking.log_and_register(
            entity,
            outcome.result.model,
            rows[outcome.result.features].head(5),
            {},
            metrics[entity],
            run_artifacts(outcome),
            {"until": until},
            promote=False,
        )
        with pytest.raises(LookupError):  # registered, but not champion until all are
            tracking.load_champion(entity)
    done = tracking.promote_all(pending, metrics)
    assert {r.alias for r in done.values()} == {"champion"}
    for entity in done:
        assert tracking.load_champion(entity)[1] == done[entity].version
