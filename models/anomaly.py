"""The isolation forest, flipped once so that higher = more unusual, on a 0..1 scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

DEFAULT_PARAMS = {"n_estimators": 300, "max_samples": 256, "random_state": 0}


def make_isolation_forest(params: dict | None = None) -> Pipeline:
    """Unfitted: missing values set to 0, then an isolation forest on the values as they are
    (it needs no scaling, and a quantile transform would hide how far out the extremes are)."""
    return Pipeline(
        [
            ("fill", SimpleImputer(strategy="constant", fill_value=0.0)),
            ("forest", IsolationForest(**{**DEFAULT_PARAMS, **(params or {})})),
        ]
    )


def ecdf(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of the (sorted) reference at or below each value: 0..1, higher = further out."""
    return np.searchsorted(reference, values, side="right") / max(len(reference), 1)


class AnomalyDetector(BaseEstimator):
    """Isolation forest whose `score` is the share of training rows less unusual (0..1)."""

    def __init__(self, params: dict | None = None):
        self.params = params

    def fit(self, X: pd.DataFrame, y=None) -> AnomalyDetector:
        params = {**DEFAULT_PARAMS, **(self.params or {})}
        params["max_samples"] = (
            min(params["max_samples"], len(X)) if isinstance(params["max_samples"], int) else params["max_samples"]
        )
        self.pipeline_ = make_isolation_forest(params).fit(X.to_numpy(dtype=float))
        self.reference_ = np.sort(self.raw(X))
        return self

    def raw(self, X: pd.DataFrame) -> np.ndarray:
        """Unbounded unusualness: sklearn's score_samples is lower for outliers, so flip it here, once."""
        return -self.pipeline_.score_samples(X.to_numpy(dtype=float))

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return ecdf(self.reference_, self.raw(X))
