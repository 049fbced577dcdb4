"""The supervised part: LightGBM on labelled (entity, period) rows."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier

DEFAULT_PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 10,
    "max_bin": 63,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.5,
    "reg_lambda": 1.0,
    "random_state": 0,
    "n_jobs": 1,
    "verbose": -1,  # threads only slow small fits on a busy machine
}


def make_lgbm(params: dict | None = None) -> lgb.LGBMClassifier:
    """Unfitted classifier; missing values are handled natively by LightGBM."""
    return lgb.LGBMClassifier(**{**DEFAULT_PARAMS, **(params or {})})


def training_weights(y: np.ndarray, labelled: np.ndarray, unlabelled_weight: float) -> np.ndarray:
    """Inspected rows count fully; uninspected rows count as weak negatives (most entities are
    honest, and without them a few hundred inspections are all the model would see); positives
    are up-weighted to balance the classes."""
    w = np.where(labelled, 1.0, unlabelled_weight)
    pos = y == 1
    if pos.any():
        w = np.where(pos, w * (w[~pos].sum() / w[pos].sum()) ** 0.5, w)
    return w


def fit_classifier(X: pd.DataFrame, y: np.ndarray, weights: np.ndarray, params: dict | None = None):
    """LightGBM; with no confirmed fraud to learn from yet, a constant (prior) classifier, so the
    unsupervised parts carry the score until inspections find something."""
    if len(np.unique(y[weights > 0])) < 2:
        return DummyClassifier(strategy="prior").fit(X, np.r_[y[:-1], 1 - y[-1]] if len(y) else y)
    return make_lgbm(params).fit(X, y, sample_weight=weights)


def is_trained(classifier) -> bool:
    return isinstance(classifier, lgb.LGBMClassifier)
