"""Peer outliers: how far an entity's most extreme measures stand above the typical value.

For providers the inputs are already peer-relative (ratio to the peer-group median), so this
reads "its two most extreme measures are on average N times its peers'". Only excesses count
(fraud shows up as too much of something), and the score is put on 0..1 as the share of
training rows that stand out less.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.anomaly import ecdf


class PeerOutlier(BaseEstimator):
    def __init__(self, top: int = 2):
        self.top = top

    def fit(self, X: pd.DataFrame, y=None) -> PeerOutlier:
        values = X.to_numpy(dtype=float)
        self.median_ = np.nanmedian(values, axis=0)
        self.floor_ = np.nanmean(np.abs(values), axis=0) * 0.01 + 1e-9
        self.reference_ = np.sort(self.raw(X))
        return self

    def excess(self, X: pd.DataFrame) -> np.ndarray:
        """log of value over the typical value, floored at 0: one column per measure."""
        values = np.nan_to_num(X.to_numpy(dtype=float), nan=0.0)
        return np.log(np.maximum((values + self.floor_) / (self.median_ + self.floor_), 1.0))

    def raw(self, X: pd.DataFrame) -> np.ndarray:
        ex = self.excess(X)
        top = min(self.top, ex.shape[1])
        return np.sort(ex, axis=1)[:, -top:].mean(axis=1)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return ecdf(self.reference_, self.raw(X))
