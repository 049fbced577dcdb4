"""Metrics, time splits, score direction and the blend: the pieces evaluation rests on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.anomaly import AnomalyDetector
from models.blend import FoldScores, baseline_figures, choose_blend, verdict
from models.metrics import at_k, average_precision, baselines, random_baseline, recall_by_pattern
from models.outlier import PeerOutlier
from models.risk import PARTS, UNSUPERVISED_BLEND, Blend, rule_scale
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
    table = pd.DataFrame({"fund_paid": [900.0, 10.0, 20.0, 30.0], "rule_hits_total": [0, 5, 0, 0]}, index=list("abcd"))
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


def _parts(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({p: columns.get(p, np.zeros(n)) for p in PARTS})


def test_blend_forms_stay_in_zero_one():
    parts = _parts(model_score=[0.2, 1.0], anomaly_score=[0.9, 0.0], outlier_score=[0.5, 0.5])
    w = (0.5, 0.0, 0.5, 0.0, 0.0, 0.0)
    assert list(Blend(w, "linear").apply(parts)) == pytest.approx([0.55, 0.5])
    assert list(Blend(w, "max").apply(parts)) == pytest.approx([0.9, 1.0])


def test_without_labels_a_severity_3_hit_outranks_every_entity_without_a_hit():
    reference = np.sort(np.array([0.2, 0.5, 1.0, 3.0, 8.0]))
    rule = rule_scale(np.array([0.0, 0.0, 1.4, 0.3]), np.array([0.0, 0.0, 3.0, 1.0]), reference)
    parts = _parts(rule_score=rule, anomaly_score=[1.0, 0.99, 0.0, 0.0], outlier_score=[1.0, 0.2, 0.0, 0.0])
    risk = UNSUPERVISED_BLEND.apply(parts)
    assert risk[2] > risk[0] >= risk[1]  # the severity-3 hit first, whatever is unusual
    assert rule[0] == 0.0 and rule[2] >= 0.75


def test_choose_blend_finds_what_the_labels_know_and_says_how_the_baselines_fare():
    idx = pd.RangeIndex(30)
    rng = np.random.default_rng(1)
    parts = _parts(
        model_score=np.linspace(1, 0, 30),
        anomaly_score=rng.random(30),
        outlier_score=rng.random(30),
        spend_score=rng.random(30),
        core_score=rng.random(30),
        rule_score=rng.random(30),
    )
    parts = parts.set_axis(idx).assign(rule_hits=rng.integers(0, 5, 30))
    folds = [FoldScores(parts, pd.Series(idx < 3, index=idx), 3)]
    best, table = choose_blend(folds)
    assert table.loc[0, "precision_at_k"] == 1.0 and best.supervised_weight > 0
    base = baseline_figures(folds)
    assert set(base) == {"biggest spenders (12 months)", "most rule hits", "plain model on raw 12-month aggregates"}
    beats, words = verdict({"precision_at_k": 1.0, "pr_auc": 1.0}, base)
    assert beats and "beats every baseline" in words
    loses, words = verdict({"precision_at_k": 0.0, "pr_auc": 0.0}, base)
    assert not loses and "does NOT beat" in words


def test_choose_blend_without_labels_keeps_to_the_unsupervised_parts():
    idx = pd.RangeIndex(10)
    parts = _parts(model_score=np.linspace(1, 0, 10), anomaly_score=np.linspace(0, 1, 10)).set_axis(idx)
    best, _ = choose_blend([FoldScores(parts.assign(rule_hits=0), pd.Series(idx < 2, index=idx), 2)], supervised=False)
    assert best.supervised_weight == 0
