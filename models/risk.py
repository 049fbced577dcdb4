"""One risk score in 0..1 (higher = riskier) from the classifier, the isolation forest and the
peer-outlier score.

Each part is put on the same footing first: the share of training rows it scores lower than
(an ECDF), so 0.97 means "riskier than 97% of what the model learned from". The blend of the
parts is chosen on validation periods (`models.blend`), not by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.anomaly import AnomalyDetector, ecdf
from models.drift import profile
from models.outlier import PeerOutlier
from models.supervised import fit_classifier, is_trained, training_weights

PARTS = ("model_score", "anomaly_score", "outlier_score")


@dataclass(frozen=True)
class Blend:
    """risk = sum(w * part) ('linear') or max(w * part) / max(w) ('max')."""

    weights: tuple[float, float, float] = (1.0, 0.0, 0.0)
    form: str = "linear"

    def apply(self, parts: pd.DataFrame) -> pd.Series:
        w = np.asarray(self.weights, dtype=float)
        values = parts[list(PARTS)].to_numpy()
        if self.form == "max":
            risk = (values * w).max(axis=1) / w.max()
        else:
            risk = values @ (w / w.sum())
        return pd.Series(np.clip(risk, 0.0, 1.0), index=parts.index, name="risk_score")

    def describe(self) -> str:
        w = ", ".join(f"{p.split('_')[0]} {x:.1f}" for p, x in zip(PARTS, self.weights))
        return f"{self.form}({w})"


class RiskModel(BaseEstimator):
    """LightGBM + isolation forest + peer outliers, blended; sklearn-style (fit returns self)."""

    def __init__(self, features: list[str], anomaly_features: list[str], outlier_features: list[str],
                 lgbm_params: dict | None = None, iforest_params: dict | None = None,
                 unlabelled_weight: float = 0.2, unusual_quantile: float = 0.9, blend: Blend = Blend()):
        self.features = features
        self.anomaly_features = anomaly_features
        self.outlier_features = outlier_features
        self.lgbm_params = lgbm_params
        self.iforest_params = iforest_params
        self.unlabelled_weight = unlabelled_weight
        self.unusual_quantile = unusual_quantile
        self.blend = blend

    def fit(self, X: pd.DataFrame, y: np.ndarray, labelled: np.ndarray) -> RiskModel:
        """`X`: every (entity, period) row of the training periods; `y`: 1 for confirmed fraud;
        `labelled`: whether an inspection outcome exists for the row."""
        y, labelled = np.asarray(y, dtype=int), np.asarray(labelled, dtype=bool)
        self.detector_ = AnomalyDetector(self.iforest_params).fit(X[self.anomaly_features])
        self.outlier_ = PeerOutlier().fit(X[self.outlier_features])
        weights = training_weights(y, labelled, self.unlabelled_weight)
        # unlabelled is not clean: the most unusual uninspected rows are not taught as negatives
        unusual = self.outlier_.score(X[self.outlier_features]) >= self.unusual_quantile
        weights = np.where(~labelled & unusual, 0.0, weights)
        self.classifier_ = fit_classifier(X[self.features], y, weights, self.lgbm_params)
        self.model_reference_ = np.sort(self._proba(X))
        self.profile_ = profile(X[self.features])  # the training distribution, for drift checks
        return self

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.classifier_.predict_proba(X[self.features])[:, 1]

    def parts(self, X: pd.DataFrame) -> pd.DataFrame:
        """The three parts on their 0..1 scales, plus the classifier's raw probability."""
        proba = self._proba(X)
        return pd.DataFrame({
            "model_score": ecdf(self.model_reference_, proba),
            "anomaly_score": self.detector_.score(X[self.anomaly_features]),
            "outlier_score": self.outlier_.score(X[self.outlier_features]),
            "model_probability": proba,
        }, index=X.index)

    @property
    def is_supervised(self) -> bool:
        """Whether the classifier learnt from confirmed frauds (else it is a constant prior)."""
        return is_trained(self.classifier_)

    def typical_values(self) -> dict[str, float]:
        """The training median of each peer-outlier input (what 'typical' means in reasons)."""
        return dict(zip(self.outlier_features, self.outlier_.median_))

    def excess(self, X: pd.DataFrame) -> np.ndarray:
        """How far each peer-outlier input stands above its typical value (log, floored at 0)."""
        return self.outlier_.excess(X[self.outlier_features])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The blended risk score (0..1, higher = riskier), for MLflow's generic pyfunc interface."""
        return self.score(X)["risk_score"].to_numpy()

    def score(self, X: pd.DataFrame) -> pd.DataFrame:
        """Parts and the blended `risk_score`."""
        parts = self.parts(X)
        return parts.assign(risk_score=self.blend.apply(parts))
