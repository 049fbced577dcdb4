"""Training one entity type: labels onto feature rows, validation folds, the blend chosen beside
the baselines, the final fit.

Plain functions over feature tables (one row per entity and period, from features.build) and
the labels table; no I/O, no tracking, no settings object. Supervised where the labels allow a
validation; otherwise unsupervised (anomaly, peer outliers, rule evidence), and the result says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_contracts.vocabulary import ENTITY_ID, PEER_PCT, PEER_RATIO, PERIOD
from models.blend import FoldScores, baseline_figures, choose_blend, evaluate_blend, verdict
from models.labelling import attach_labels, inspections, row_weights
from models.metrics import inspection_capacity
from models.risk import UNSUPERVISED_BLEND, RiskModel
from models.split import Fold, entity_folds, rolling_origin

CORE_EXTRA = ("rule_hits_total", "rule_evidence")
MIN_POSITIVE_ENTITIES = 3  # confirmed frauds needed before a supervised model is validated


@dataclass(frozen=True)
class TrainConfig:
    """How one entity type is trained; built from the settings by the flows (the settings class
    holds the defaults)."""

    k_share: float | None  # capacity as a share of active entities (providers)
    k_fixed: int | None  # or a fixed number (persons)
    delay: int  # months before an inspection's outcome is known
    n_folds: int  # validation folds
    unlabelled_weight: float  # weight of uninspected rows as weak negatives (scaled by coverage)
    label_span: int = 1  # months an inspection reviewed when the labels give no period_from
    lgbm_params: dict = field(default_factory=dict)
    iforest_params: dict = field(default_factory=dict)
    max_unlabelled_per_period: int = 4000  # weak negatives sampled per period (keeps training fast)
    seed: int = 0

    def capacity(self, n_entities: int) -> int:
        return inspection_capacity(n_entities, self.k_share, self.k_fixed)


@dataclass
class TrainResult:
    model: RiskModel
    features: list[str]
    metrics: dict[str, float]  # flat, ready to log
    blend_table: pd.DataFrame
    folds: list[Fold]
    train_periods: list[str]
    mode: str = "supervised"  # or "unsupervised": no labels to validate on
    verdict: str = ""  # how the blend fares against the baselines, in words
    beats_baselines: bool = False


def model_inputs(entity: str, columns: list[str]) -> dict[str, list[str]]:
    """Which columns feed each part: every feature the classifier, raw 12-month aggregates (and
    rule hits) the plain core model, peer percentiles the isolation forest and peer ratios the
    peer-outlier score (providers; persons have no peer groups and use every feature)."""
    core = [c for c in columns if c.endswith("_12m")] + [c for c in CORE_EXTRA if c in columns]
    if entity == "provider":
        return {
            "features": list(columns),
            "core": core,
            "anomaly": [c for c in columns if c.endswith(PEER_PCT)],
            "outlier": [c for c in columns if c.endswith(PEER_RATIO)],
        }
    return {"features": list(columns), "core": core, "anomaly": list(columns), "outlier": list(columns)}


def _sample(rows: pd.DataFrame, weights: np.ndarray, per_period: int, seed: int) -> np.ndarray:
    """Positions to train on: every labelled row and at most `per_period` weighted others per period."""
    free = np.flatnonzero(~rows["labelled"].to_numpy() & (weights > 0))
    rng = np.random.default_rng(seed)
    keep = [np.flatnonzero(rows["labelled"].to_numpy())]
    periods = rows[PERIOD].to_numpy()[free]
    for p in np.unique(periods):
        at = free[periods == p]
        keep.append(rng.choice(at, size=per_period, replace=False) if len(at) > per_period else at)
    return np.sort(np.concatenate(keep))


def _fit(rows: pd.DataFrame, inputs: dict, cfg: TrainConfig, blend=UNSUPERVISED_BLEND) -> RiskModel:
    weights = row_weights(rows, cfg.unlabelled_weight)
    at = _sample(rows, weights, cfg.max_unlabelled_per_period, cfg.seed)
    model = RiskModel(
        inputs["features"],
        inputs["core"],
        inputs["anomaly"],
        inputs["outlier"],
        cfg.lgbm_params,
        cfg.iforest_params,
        blend,
    )
    sub = rows.iloc[at]
    return model.fit(sub, sub["y"].to_numpy(), weights[at])


def make_folds(data: pd.DataFrame, found: pd.DataFrame, until: str, cfg: TrainConfig) -> list[Fold]:
    """Time folds where at least two can learn from and be judged on confirmed frauds; else
    entity folds over the labelled entities; none when there are too few frauds to judge."""
    periods = sorted(p for p in data[PERIOD].unique() if p <= until)
    labelled = attach_labels(data, found)
    labelled = labelled[labelled["labelled"]]
    positive_months = sorted(labelled.loc[labelled["y"] == 1, PERIOD].unique())
    time = [
        f
        for f in rolling_origin(positive_months or [], cfg.n_folds, cfg.delay, min_train=1)
        if (found.loc[found["fraud"], "last"] <= f.known_by).any()
    ]
    if len(time) >= 2:
        return [Fold(tuple(p for p in periods if p <= f.known_by), f.validate_period, f.known_by) for f in time]
    per_entity = labelled.groupby(ENTITY_ID)["y"].max()
    if int(per_entity.sum()) < MIN_POSITIVE_ENTITIES or len(per_entity) < 2 * cfg.n_folds:
        return []
    counts = labelled[PERIOD].value_counts()
    validate = max(p for p, n in counts.items() if n >= 0.8 * counts.max())  # the latest well-labelled month
    return entity_folds(per_entity.index.tolist(), (per_entity == 1).tolist(), periods, validate, cfg.n_folds, cfg.seed)


def _fold_scores(data: pd.DataFrame, found: pd.DataFrame, fold: Fold, inputs: dict, cfg: TrainConfig):
    train = data[data[PERIOD].isin(fold.train_periods)]
    known = found[~found["entity_id"].isin(fold.held_out)]
    model = _fit(attach_labels(train, known, fold.known_by), inputs, cfg)
    val = attach_labels(data[data[PERIOD] == fold.validate_period], found).set_index(ENTITY_ID, drop=False)
    k = cfg.capacity(len(val))
    if fold.held_out:
        val = val[val[ENTITY_ID].isin(fold.held_out) & val["labelled"]]
        k = max(1, min(k, len(val) // 3))
    parts = model.parts(val).assign(rule_hits=val["rule_hits_total"].to_numpy(dtype=float))
    return FoldScores(parts, val["y"].astype(bool), k), model.is_supervised


def train_entity(
    table: pd.DataFrame,
    labels: pd.DataFrame,
    columns: list[str],
    inputs: dict[str, list[str]],
    until: str,
    cfg: TrainConfig,
) -> TrainResult:
    """Validate, choose the blend beside the baselines, then fit on every period up to `until`."""
    data = table[table[PERIOD] <= until].reset_index(drop=True)
    found = inspections(labels, cfg.label_span)
    folds = make_folds(data, found, until, cfg)
    scored = [_fold_scores(data, found, f, inputs, cfg) for f in folds]
    supervised = bool(scored) and any(s for _, s in scored)
    fold_scores = [f for f, _ in scored]
    if fold_scores:
        blend, table_ = choose_blend(fold_scores, supervised)
        ours, base = evaluate_blend(blend, fold_scores), baseline_figures(fold_scores)
        beats, words = verdict(ours, base)
    else:
        blend, table_, ours, base = UNSUPERVISED_BLEND, pd.DataFrame(), {}, {}
        beats, words = (
            False,
            (
                "no validation: too few confirmed frauds among the labels, so the ranking is "
                "unsupervised (rule evidence, then what is unusual)"
            ),
        )
    final = _fit(attach_labels(data, found), inputs, cfg, blend)
    mode = "supervised" if blend.supervised_weight > 0 else "unsupervised"
    metrics = _metrics(ours, base, fold_scores, beats, mode)
    return TrainResult(
        final, inputs["features"], metrics, table_, folds, sorted(data[PERIOD].unique()), mode, words, beats
    )


def _metrics(ours: dict, base: dict, folds: list[FoldScores], beats: bool, mode: str) -> dict[str, float]:
    short = {
        "biggest spenders (12 months)": "spend",
        "most rule hits": "rules",
        "plain model on raw 12-month aggregates": "plain",
    }
    out = {f"val_model_{k}": v for k, v in ours.items()}
    for name, figures in base.items():
        out.update({f"val_{short[name]}_{k}": v for k, v in figures.items()})
    prevalence = [f.positive.mean() for f in folds if len(f.positive)]
    out["val_random_precision_at_k"] = float(np.mean(prevalence)) if prevalence else math.nan
    out.update(val_folds=float(len(folds)), beats_baselines=float(beats), supervised=float(mode == "supervised"))
    return out
