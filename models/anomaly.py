"""The isolation forest, flipped once so that higher = more unusual, on a 0..1 scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import QuantileTransformer

DEFAULT_PARAMS = {"n_estimators": 300, "max_samples": 256, "random_state": 0}


def make_isolation_forest(params: dict | None = None) -> Pipeline:
    """Unfitted: features mapped to their quantiles (scale-free), then an isolation forest."""
    return Pipeline([("quantiles", QuantileTransformer(n_quantiles=200, subsample=100_000, random_state=0)),
                     ("forest", IsolationForest(**{**DEFAULT_PARAMS, **(params or {})}))])


def ecdf(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of the (sorted) reference at or below each value: 0..1, higher = further out."""
    return np.searchsorted(reference, values, side="right") / max(len(reference), 1)


class AnomalyDetector(BaseEstimator):
    """Isolation forest whose `score` is the share of training rows less unusual (0..1)."""

    def __init__(self, params: dict | None = None):
        self.params = params

    def fit(self, X: pd.DataFrame, y=None) -> "AnomalyDetector":
        self.pipeline_ = make_isolation_forest(self.params).fit(X.to_numpy(dtype=float))
        self.reference_ = np.sort(self.raw(X))
        return self

    def raw(self, X: pd.DataFrame) -> np.ndarray:
        """Unbounded unusualness: sklearn's score_samples is lower for outliers, so flip it here, once."""
        return -self.pipeline_.score_samples(X.to_numpy(dtype=float))

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return ecdf(self.reference_, self.raw(X))
