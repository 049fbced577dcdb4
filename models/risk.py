"""One risk score in 0..1 (higher = riskier) from six parts, each on the same footing.

    model_score    LightGBM on every feature (needs confirmed frauds to learn from)
    core_score     a plain LightGBM on a handful of raw 12-month aggregates (needs them too)
    anomaly_score  isolation forest: how unusual the entity is
    outlier_score  peer outliers: how far its most extreme measures stand above the typical value
    rule_score     severity-weighted audit-rule evidence (0 without a hit; a severity-3 hit ≥ 0.75)
    spend_score    fund paid over 12 months: what a supervisor sorts by without a model

Each part is "riskier than this share of the training rows" (an ECDF), except the rule part,
which keeps "no hit" at 0. The blend of the parts is chosen on validation (`models.blend`), and
compared there with the simplest baselines; with no labels to validate on, the blend is the
unsupervised one (rule evidence first, then what is unusual).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from models.anomaly import AnomalyDetector, ecdf
from models.drift import profile
from models.outlier import PeerOutlier
from models.supervised import fit_classifier, is_trained

PARTS = ("model_score", "core_score", "anomaly_score", "outlier_score", "rule_score", "spend_score")
RULE_EVIDENCE, RULE_SEVERITY = "rule_evidence", "rule_severity_max"
SPEND_COLUMNS = ("fund_paid_12m", "fund_paid")
EVIDENCE_WEIGHT = 0.6  # the unsupervised blend: 0.6 × rule evidence + 0.4 × the more unusual of the two


@dataclass(frozen=True)
class Blend:
    """How the parts make the risk score.

    linear: sum(w × part) / sum(w); max: max(w × part) / max(w); evidence (no labels): 0.6 × rule
    evidence + 0.4 × max(anomaly, outlier), so any entity with a severity-3 hit (rule part ≥ 0.75,
    risk ≥ 0.45) ranks above every entity without a hit (risk ≤ 0.4).
    """

    weights: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    form: str = "evidence"

    def apply(self, parts: pd.DataFrame) -> pd.Series:
        if self.form == "evidence":
            unusual = parts[["anomaly_score", "outlier_score"]].max(axis=1).to_numpy()
            risk = EVIDENCE_WEIGHT * parts["rule_score"].to_numpy() + (1 - EVIDENCE_WEIGHT) * unusual
        else:
            w = np.asarray(self.weights, dtype=float)
            values = parts[list(PARTS)].to_numpy()
            risk = (values * w).max(axis=1) / w.max() if self.form == "max" else values @ (w / w.sum())
        return pd.Series(np.clip(risk, 0.0, 1.0), index=parts.index, name="risk_score")

    @property
    def supervised_weight(self) -> float:
        return 0.0 if self.form == "evidence" else float(sum(self.weights[:2]) / max(sum(self.weights), 1e-12))

    def describe(self) -> str:
        if self.form == "evidence":
            return f"evidence({EVIDENCE_WEIGHT:g} rule + {1 - EVIDENCE_WEIGHT:g} max(anomaly, outlier))"
        w = ", ".join(f"{p.split('_')[0]} {x:.2f}" for p, x in zip(PARTS, self.weights) if x > 0)
        return f"{self.form}({w})"


UNSUPERVISED_BLEND = Blend()


def rule_scale(evidence: np.ndarray, severity: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """0 without evidence; 0.5 + 0.5 × the share of hit rows with less evidence otherwise; at
    least 0.75 for a severity-3 hit."""
    score = np.where(evidence > 0, 0.5 + 0.5 * ecdf(reference, evidence), 0.0)
    return np.where(severity >= 3, np.maximum(score, 0.75), score)


class RiskModel(BaseEstimator):
    """The six parts and their blend; sklearn-style (fit returns self, fitted state ends in _)."""

    def __init__(
        self,
        features: list[str],
        core_features: list[str],
        anomaly_features: list[str],
        outlier_features: list[str],
        lgbm_params: dict | None = None,
        iforest_params: dict | None = None,
        blend: Blend = UNSUPERVISED_BLEND,
    ):
        self.features = features
        self.core_features = core_features
        self.anomaly_features = anomaly_features
        self.outlier_features = outlier_features
        self.lgbm_params = lgbm_params
        self.iforest_params = iforest_params
        self.blend = blend

    def fit(self, X: pd.DataFrame, y: np.ndarray, weights: np.ndarray) -> RiskModel:
        """`X`: every (entity, period) row of the training periods; `y`: 1 for confirmed fraud;
        `weights`: each row's training weight (models.labelling.row_weights; 0 = not taught)."""
        y, weights = np.asarray(y, dtype=int), np.asarray(weights, dtype=float)
        self.detector_ = AnomalyDetector(self.iforest_params).fit(X[self.anomaly_features])
        self.outlier_ = PeerOutlier().fit(X[self.outlier_features])
        self.classifier_ = fit_classifier(X[self.features], y, weights, self.lgbm_params)
        self.core_ = fit_classifier(
            X[self.core_features], y, weights, {**(self.lgbm_params or {}), "colsample_bytree": 1.0}
        )
        self.model_reference_ = np.sort(self._proba(self.classifier_, X, self.features))
        self.core_reference_ = np.sort(self._proba(self.core_, X, self.core_features))
        evidence = X[RULE_EVIDENCE].to_numpy(dtype=float)
        self.rule_reference_ = np.sort(evidence[evidence > 0])
        self.spend_reference_ = np.sort(self._spend(X))
        self.profile_ = profile(X[self.features])  # the training distribution, for drift checks
        return self

    @staticmethod
    def _proba(classifier, X: pd.DataFrame, columns: list[str]) -> np.ndarray:
        return classifier.predict_proba(X[columns])[:, 1]

    @staticmethod
    def _spend(X: pd.DataFrame) -> np.ndarray:
        column = next(c for c in SPEND_COLUMNS if c in X.columns)
        return X[column].to_numpy(dtype=float)

    def parts(self, X: pd.DataFrame) -> pd.DataFrame:
        """The six parts on their 0..1 scales, plus the classifier's raw probability."""
        proba = self._proba(self.classifier_, X, self.features)
        return pd.DataFrame(
            {
                "model_score": ecdf(self.model_reference_, proba),
                "core_score": ecdf(self.core_reference_, self._proba(self.core_, X, self.core_features)),
                "anomaly_score": self.detector_.score(X[self.anomaly_features]),
                "outlier_score": self.outlier_.score(X[self.outlier_features]),
                "rule_score": rule_scale(
                    X[RULE_EVIDENCE].to_numpy(dtype=float), X[RULE_SEVERITY].to_numpy(dtype=float), self.rule_reference_
                ),
                "spend_score": ecdf(self.spend_reference_, self._spend(X)),
                "model_probability": proba,
            },
            index=X.index,
        )

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
