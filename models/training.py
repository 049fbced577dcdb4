"""Training one entity type: labels onto feature rows, rolling-origin evaluation, blend, final fit.

Plain functions over feature tables (one row per entity and period, from features.build) and
the labels table; no I/O, no tracking, no settings object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.blend import choose_blend
from models.evaluation import fold_metrics
from models.labelling import KEYS, LABEL_FEATURES, attach_labels, with_label_history
from models.metrics import inspection_capacity
from models.risk import RiskModel
from models.split import Fold, rolling_origin


@dataclass(frozen=True)
class TrainConfig:
    """How one entity type is trained; built from the settings by the flows (no defaults here:
    the settings class holds them)."""

    k_share: float | None            # capacity as a share of active entities (providers)
    k_fixed: int | None              # or a fixed number (persons)
    delay: int                       # months before an inspection's outcome is known
    n_folds: int                     # rolling-origin validation periods
    unlabelled_weight: float         # weight of uninspected rows as weak negatives
    lgbm_params: dict = field(default_factory=dict)
    iforest_params: dict = field(default_factory=dict)
    max_unlabelled_per_period: int = 4000   # weak negatives sampled per period (keeps training fast)
    min_unsupervised_weight: float = 0.5    # share of the blend kept on parts that need no labels

    def capacity(self, n_entities: int) -> int:
        return inspection_capacity(n_entities, self.k_share, self.k_fixed)


@dataclass
class TrainResult:
    model: RiskModel
    features: list[str]
    metrics: dict[str, float]            # flat, ready to log
    blend_table: pd.DataFrame
    folds: list[Fold]
    train_periods: list[str]


def sample_rows(rows: pd.DataFrame, per_period: int, seed: int = 0) -> pd.DataFrame:
    """Every inspected row and at most `per_period` uninspected rows of each period (seeded)."""
    free = rows[~rows["labelled"]]
    keep = free.groupby("period", group_keys=False).apply(
        lambda g: g.sample(n=min(per_period, len(g)), random_state=seed))
    return pd.concat([rows[rows["labelled"]], keep]).sort_index()


def _fit(rows: pd.DataFrame, features: list[str], inputs: dict, cfg: TrainConfig, blend=None) -> RiskModel:
    rows = sample_rows(rows, cfg.max_unlabelled_per_period)
    model = RiskModel(features, inputs["anomaly"], inputs["outlier"], cfg.lgbm_params, cfg.iforest_params,
                      cfg.unlabelled_weight)
    if blend is not None:
        model.set_params(blend=blend)
    return model.fit(rows, rows["y"].to_numpy(), rows["labelled"].to_numpy())


def validate_folds(data: pd.DataFrame, features, inputs, cfg: TrainConfig, folds: list[Fold]):
    """Fit on each fold's training periods and score its validation period."""
    scored = []
    for fold in folds:
        model = _fit(data[data["period"].isin(fold.train_periods)], features, inputs, cfg)
        val = data[data["period"] == fold.validate_period].set_index("entity_id")
        scored.append((val, model.parts(val)))
    return scored


def train_entity(table: pd.DataFrame, labels: pd.DataFrame, features: list[str], inputs: dict[str, list[str]],
                 until: str, cfg: TrainConfig) -> TrainResult:
    """Evaluate on rolling origins, choose the blend, then fit on every period up to `until`."""
    data = attach_labels(with_label_history(table.copy(), labels, cfg.delay), labels)
    amounts = labels.set_index(KEYS)["amount_recovered"] if "amount_recovered" in labels else None
    if amounts is not None:
        recovered = amounts.reindex(pd.MultiIndex.from_frame(data[KEYS])).fillna(0.0).to_numpy()
        data = pd.concat([data, pd.DataFrame({"amount_recovered": recovered}, index=data.index)], axis=1)
    features = features + LABEL_FEATURES
    data = data[data["period"] <= until]
    labelled_periods = sorted(data.loc[data["labelled"], "period"].unique())
    folds = rolling_origin(labelled_periods, cfg.n_folds, cfg.delay)
    if not folds:
        raise ValueError(f"not enough labelled periods up to {until} to validate on "
                         f"(have {labelled_periods}); provide more labels or a later --until")
    scored = validate_folds(data, features, inputs, cfg, folds)
    k_val = [cfg.capacity(len(val)) for val, _ in scored]
    blend, table_ = choose_blend([(parts, val["y"].astype(bool)) for val, parts in scored], int(np.median(k_val)),
                                 cfg.min_unsupervised_weight)
    metrics = fold_metrics(scored, blend, cfg)
    final = _fit(data, features, inputs, cfg, blend)
    return TrainResult(final, features, metrics, table_, folds, sorted(data["period"].unique()))
