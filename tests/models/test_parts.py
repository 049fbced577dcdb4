"""Metrics, time splits, score direction and the blend: the pieces evaluation rests on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.anomaly import AnomalyDetector
from models.blend import choose_blend
from models.metrics import at_k, average_precision, baselines, random_baseline, recall_by_pattern
from models.outlier import PeerOutlier
from models.risk import Blend
from models.split import rolling_origin


def test_precision_recall_and_amount_at_k():
    score = pd.Series([0.9, 0.8, 0.7, 0.1], index=list("abcd"))
    positive = pd.Series([True, False, True, True], index=list("abcd"))
    amount = pd.Series([100.0, 0.0, 10.0, 890.0], index=list("abcd"))
    out = at_k(score, positive, 2, amount)
    assert out == {"precision_at_k": 0.5, "recall_at_k": pytest.approx(1 / 3), "amount_recall_at_k": 0.1}


def test_ties_are_broken_the_same_way_every_time():
    score = pd.Series([0.5, 0.5, 0.5], index=["b", "a", "c"])
    assert at_k(score, pd.Series([False, True, False], index=["b", "a", "c"]), 1)["precision_at_k"] == 1.0


def test_average_precision_matches_the_definition():
    assert average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True])) == pytest.approx((1 + 2 / 3) / 2)


def test_baselines_follow_what_a_supervisor_would_do():
    table = pd.DataFrame({"fund_paid": [900.0, 10.0, 20.0, 30.0], "rule_hits_total": [0, 5, 0, 0]},
                         index=list("abcd"))
    positive = pd.Series([False, True, False, False], index=list("abcd"))
    b = baselines(table, positive, 1)
    assert b["spend"]["precision_at_k"] == 0.0 and b["rules"]["precision_at_k"] == 1.0
    assert random_baseline(positive, 1)["precision_at_k"] == 0.25


def test_recall_by_pattern():
    score = pd.Series([0.9, 0.1, 0.8], index=["p1", "p2", "p3"])
    truth = pd.DataFrame({"entity_id": ["p1", "p2", "p3"], "pattern": ["a", "a", "b"]})
    assert recall_by_pattern(score, truth, 2) == {"a": 0.5, "b": 1.0}


def test_rolling_origin_skips_the_label_delay():
    periods = [f"2025-{m:02d}" for m in range(1, 9)]
    folds = rolling_origin(periods, n_folds=2, delay=1)
    assert [f.validate_period for f in folds] == ["2025-07", "2025-08"]
    assert folds[0].train_periods[-1] == "2025-05"  # June's outcomes are not known in July
    assert folds[1].train_periods[-1] == "2025-06"


def test_anomaly_and_outlier_scores_are_higher_for_the_unusual():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(1.0, 0.1, size=(500, 4)).clip(0.01), columns=list("wxyz"))
    odd = pd.DataFrame([[1.0, 1.0, 6.0, 1.0]], columns=list("wxyz"))
    detector = AnomalyDetector().fit(X)
    outlier = PeerOutlier().fit(X)
    assert detector.score(odd)[0] > 0.8 > np.median(detector.score(X))
    assert outlier.score(odd)[0] > 0.95
    assert detector.score(X).min() >= 0.0 and detector.score(X).max() <= 1.0


def test_blend_forms_stay_in_zero_one():
    parts = pd.DataFrame({"model_score": [0.2, 1.0], "anomaly_score": [0.9, 0.0], "outlier_score": [0.5, 0.5]})
    assert list(Blend((0.5, 0.5, 0.0), "linear").apply(parts)) == pytest.approx([0.55, 0.5])
    assert list(Blend((0.5, 0.5, 0.0), "max").apply(parts)) == pytest.approx([0.9, 1.0])


def test_choose_blend_keeps_half_the_weight_unsupervised():
    idx = pd.RangeIndex(20)
    rng = np.random.default_rng(1)
    parts = pd.DataFrame({"model_score": np.linspace(1, 0, 20), "anomaly_score": rng.random(20),
                          "outlier_score": rng.random(20)}, index=idx)
    positive = pd.Series(idx < 3, index=idx)  # only the model part knows them
    best, table = choose_blend([(parts, positive)], k=3, min_unsupervised=0.5)
    assert sum(best.weights[1:]) >= 0.5
    assert table.loc[0, "precision_at_k"] == 1.0  # and still finds what the labels know
