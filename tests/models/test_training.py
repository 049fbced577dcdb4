"""Trained on a seeded tiny region, the models must keep finding the planted frauds.

Floors sit below what the models reach today and well above what they reach when they stop
learning (random, biggest spenders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.labelling import attach_labels, covered_rows, inspections, row_weights
from models.training import model_inputs, train_entity


@pytest.mark.parametrize("entity, precision, roc", [("provider", 0.6, 0.78), ("person", 0.08, 0.78)])
def test_quality_floors_against_planted_truth(trained_tiny, entity, precision, roc):
    m = trained_tiny["outcomes"][entity].metrics
    assert m["test_model_precision_at_k"] >= precision
    assert m["test_model_roc_auc"] >= roc
    assert m["test_model_precision_at_k"] >= 3 * m["test_random_precision_at_k"]
    assert m["test_model_precision_at_k"] >= m["test_spend_precision_at_k"]


def test_evaluation_is_reported_next_to_the_baselines(trained_tiny):
    m = trained_tiny["outcomes"]["provider"].metrics
    for who in ("model", "spend", "rules", "plain"):
        for name in ("precision_at_k", "pr_auc", "roc_auc"):
            assert f"val_{who}_{name}" in m
    for who in ("model", "random", "spend", "rules"):
        for name in ("precision_at_k", "recall_at_k", "amount_recall_at_k", "pr_auc", "roc_auc"):
            assert f"test_{who}_{name}" in m
    assert "val_random_precision_at_k" in m and m["beats_baselines"] in (0.0, 1.0)
    assert any(k.startswith("test_recall_") for k in m)
    assert "test_never_labelled_in_top10pct" in m
    assert trained_tiny["outcomes"]["provider"].result.verdict


def test_validation_folds_never_train_on_unknown_outcomes(trained_tiny):
    folds = trained_tiny["outcomes"]["provider"].result.folds
    assert folds, "the tiny region's monthly labels allow time folds"
    for fold in folds:
        assert fold.kind == "time"
        latest = pd.Period(max(fold.train_periods), "M")
        assert latest <= pd.Period(fold.validate_period, "M") - 2  # one month of label delay skipped
        assert fold.known_by == str(latest)


def _labels(rows):
    return pd.DataFrame(rows, columns=["entity_id", "period", "outcome", "period_from"])


def test_an_inspection_speaks_for_the_months_it_reviewed_as_one_piece_of_evidence():
    found = inspections(_labels([["a", "2025-03", "fraud", "2025-01"], ["b", "2025-02", "clean", None]]), span=2)
    cover = covered_rows(found).set_index(["entity_id", "period"])
    assert list(cover.loc["a"].index) == ["2025-01", "2025-02", "2025-03"]
    assert cover.loc["a", "weight"].sum() == pytest.approx(1.0) and set(cover.loc["a", "y"]) == {1}
    assert list(cover.loc["b"].index) == ["2025-01", "2025-02"]  # no period_from: the configured span
    assert cover.loc["b", "weight"].sum() == pytest.approx(1.0)
    assert covered_rows(found, known_by="2025-02").set_index("entity_id").index.tolist() == ["b", "b"]


def test_a_fraud_is_never_taught_clean_and_unlabelled_rows_weigh_by_coverage():
    table = pd.DataFrame({"entity_id": ["a", "a", "b", "c"], "period": ["2025-01", "2025-04", "2025-01", "2025-01"]})
    found = inspections(_labels([["a", "2025-01", "fraud", None], ["b", "2025-01", "clean", None]]))
    rows = attach_labels(table, found)
    assert list(rows["labelled"]) == [True, False, True, False] and list(rows["y"]) == [1, 0, 0, 0]
    weights = row_weights(rows, unlabelled_weight=0.3)
    assert weights[1] == 0.0  # a's later uninspected month: not taught as clean
    assert weights[3] == pytest.approx(0.3 * (1 - 2 / 3))  # two of three entities have an outcome
    assert weights[0] > weights[2] > 0  # the fraud is up-weighted


def test_no_input_comes_from_the_labels(trained_tiny):
    features = trained_tiny["outcomes"]["provider"].result.features
    assert not [f for f in features if "inspection" in f or "prior_" in f or "label" in f]


def test_training_is_deterministic(trained_tiny):
    fs, labels = trained_tiny["feature_sets"], trained_tiny["labels"]
    table = pd.concat([f.provider for _, f in sorted(fs.items())], ignore_index=True)
    own = labels[labels["entity_type"] == "provider"]
    cols = trained_tiny["outcomes"]["provider"].result.features
    until = trained_tiny["periods"][-2]
    again = train_entity(table, own, cols, model_inputs("provider", cols), until, trained_tiny["configs"]["provider"])
    rows = table[table["period"] == until]
    first = trained_tiny["outcomes"]["provider"].result.model.score(rows)
    np.testing.assert_allclose(again.model.score(rows)["risk_score"], first["risk_score"])
