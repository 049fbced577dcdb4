"""Training one entity type: labels onto feature rows, rolling-origin evaluation, blend, final fit.

Plain functions over feature tables (one row per entity and period, from features.build) and
the labels table; no I/O, no tracking, no settings object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.blend import choose_blend
from models.metrics import baselines, evaluate, recall_by_pattern
from models.risk import RiskModel
from models.split import Fold, rolling_origin, shift

KEYS = ["entity_id", "period"]
LABEL_FEATURES = ["prior_fraud_findings", "prior_inspections"]


@dataclass(frozen=True)
class TrainConfig:
    k_share: float | None = 0.05     # capacity as a share of active entities (providers)
    k_fixed: int | None = None       # or a fixed number (persons)
    delay: int = 1                   # months before an inspection's outcome is known
    n_folds: int = 3
    unlabelled_weight: float = 0.2
    max_unlabelled_per_period: int = 4000   # weak negatives sampled per period (keeps training fast)
    min_unsupervised_weight: float = 0.5    # share of the blend kept on parts that need no labels
    lgbm_params: dict = field(default_factory=dict)
    iforest_params: dict = field(default_factory=dict)

    def capacity(self, n_entities: int) -> int:
        if self.k_fixed:
            return int(min(self.k_fixed, n_entities))
        return max(1, math.ceil((self.k_share or 0.05) * n_entities))


@dataclass
class TrainResult:
    model: RiskModel
    features: list[str]
    metrics: dict[str, float]            # flat, ready to log
    blend_table: pd.DataFrame
    folds: list[Fold]
    train_periods: list[str]


def with_label_history(table: pd.DataFrame, labels: pd.DataFrame, delay: int) -> pd.DataFrame:
    """Add what inspections had found about the entity before: only outcomes of periods at least
    `delay` + 1 months earlier, which were known when the period was scored."""
    cols = {c: 0.0 for c in LABEL_FEATURES}
    if labels.empty:
        return table.assign(**cols)
    lab = labels.assign(fraud=(labels["outcome"] == "fraud").astype(float))
    out = []
    for period, rows in table.groupby("period", sort=False):
        known = lab[lab["period"] <= shift(period, -(delay + 1))].groupby("entity_id")
        found = known["fraud"].sum().reindex(rows["entity_id"], fill_value=0.0).to_numpy()
        seen = known.size().reindex(rows["entity_id"], fill_value=0).to_numpy(dtype=float)
        out.append(pd.concat([rows, pd.DataFrame({"prior_fraud_findings": found, "prior_inspections": seen},
                                                 index=rows.index)], axis=1))
    return pd.concat(out).loc[table.index]


def attach_labels(table: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """`y` (1 = confirmed fraud) and `labelled` (an inspection outcome exists) for every row."""
    lab = labels.drop_duplicates(KEYS, keep="last").set_index(KEYS)["outcome"]
    outcome = lab.reindex(pd.MultiIndex.from_frame(table[KEYS])).to_numpy()
    extra = pd.DataFrame({"y": (outcome == "fraud").astype(int), "labelled": pd.notna(outcome)}, index=table.index)
    return pd.concat([table, extra], axis=1)


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


def fold_metrics(scored, blend, cfg: TrainConfig) -> dict[str, float]:
    """Label-based figures on the validation periods, ours and the supervisor's baselines."""
    rows = {}
    for val, parts in scored:
        k = cfg.capacity(len(val))
        positive = val["y"].astype(bool)
        amount = val.get("amount_recovered")
        figures = {"model": evaluate(blend.apply(parts), positive, k, amount),
                   **baselines(val, positive, k, amount)}
        for who, values in figures.items():
            for name, value in values.items():
                rows.setdefault(f"val_{who}_{name}", []).append(value)
    return {name: float(np.nanmean(values)) for name, values in rows.items()}


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


def truth_metrics(model: RiskModel, rows: pd.DataFrame, truth: pd.DataFrame, cfg: TrainConfig,
                  never_labelled: str | None) -> dict[str, float]:
    """Figures against the planted truth of a synthetic region, for one scored period."""
    rows = rows.set_index("entity_id")
    risk = model.score(rows)["risk_score"]
    t = truth[truth["entity_id"].isin(rows.index)]
    positive = pd.Series(rows.index.isin(t["entity_id"]), index=rows.index)
    amount = t.groupby("entity_id")["fund_paid"].sum()
    k = cfg.capacity(len(rows))
    out = {f"test_model_{n}": v for n, v in evaluate(risk, positive, k, amount).items()}
    for who, values in baselines(rows, positive, k, amount).items():
        out.update({f"test_{who}_{n}": v for n, v in values.items()})
    out.update({f"test_recall_{p}": v for p, v in recall_by_pattern(risk, t, k).items()})
    if never_labelled:
        top10 = recall_by_pattern(risk, t[t["pattern"] == never_labelled], max(k, math.ceil(0.1 * len(rows))))
        out["test_never_labelled_in_top10pct"] = top10.get(never_labelled, float("nan"))
    out["test_k"] = k
    return out
