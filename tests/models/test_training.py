"""Trained on a seeded tiny region, the models must keep finding the planted frauds.

Floors sit below what the models reach today and well above what they reach when they stop
learning (random, biggest spenders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.job import model_inputs
from models.labelling import attach_labels, with_label_history
from models.training import train_entity


@pytest.mark.parametrize("entity, precision, roc", [("provider", 0.6, 0.78), ("person", 0.12, 0.78)])
def test_quality_floors_against_planted_truth(trained_tiny, entity, precision, roc):
    m = trained_tiny["outcomes"][entity].metrics
    assert m["test_model_precision_at_k"] >= precision
    assert m["test_model_roc_auc"] >= roc
    assert m["test_model_precision_at_k"] >= 3 * m["test_random_precision_at_k"]
    assert m["test_model_precision_at_k"] >= m["test_spend_precision_at_k"]


def test_evaluation_is_reported_next_to_the_baselines(trained_tiny):
    m = trained_tiny["outcomes"]["provider"].metrics
    for who in ("model", "random", "spend", "rules"):
        for name in ("precision_at_k", "recall_at_k", "amount_recall_at_k", "pr_auc", "roc_auc"):
            assert f"val_{who}_{name}" in m and f"test_{who}_{name}" in m
    assert any(k.startswith("test_recall_") for k in m)
    assert "test_never_labelled_in_top10pct" in m


def test_validation_folds_never_train_on_unknown_outcomes(trained_tiny):
    for fold in trained_tiny["outcomes"]["provider"].result.folds:
        latest = pd.Period(max(fold.train_periods), "M")
        assert latest <= pd.Period(fold.validate_period, "M") - 2  # one month of label delay skipped


def test_label_history_uses_only_outcomes_known_at_the_time():
    table = pd.DataFrame({"entity_id": ["a", "a", "a"], "period": ["2025-01", "2025-02", "2025-03"]})
    labels = pd.DataFrame({"entity_id": ["a", "a"], "period": ["2025-01", "2025-02"], "outcome": ["fraud", "fraud"]})
    out = with_label_history(table, labels, delay=1)
    assert list(out["prior_fraud_findings"]) == [0.0, 0.0, 1.0]  # March knows January, not February


def test_unlabelled_rows_are_not_labelled_clean():
    table = pd.DataFrame({"entity_id": ["a", "b"], "period": ["2025-01", "2025-01"]})
    labels = pd.DataFrame({"entity_id": ["a"], "period": ["2025-01"], "outcome": ["clean"]})
    out = attach_labels(table, labels)
    assert list(out["labelled"]) == [True, False] and list(out["y"]) == [0, 0]


def test_training_is_deterministic(trained_tiny):
    fs, labels = trained_tiny["feature_sets"], trained_tiny["labels"]
    table = pd.concat([f.provider for _, f in sorted(fs.items())], ignore_index=True)
    own = labels[labels["entity_type"] == "provider"]
    cols = trained_tiny["outcomes"]["provider"].result.features[:-2]
    until = trained_tiny["periods"][-2]
    again = train_entity(table, own, cols, model_inputs("provider", cols), until, trained_tiny["configs"]["provider"])
    rows = with_label_history(table[table["period"] == until], own, 1)
    first = trained_tiny["outcomes"]["provider"].result.model.score(rows)
    np.testing.assert_allclose(again.model.score(rows)["risk_score"], first["risk_score"])
