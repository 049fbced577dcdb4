"""Evaluation at inspection capacity: what a supervisor gets from inspecting the top k."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def inspection_capacity(n_entities: int, share: float | None = None, fixed: int | None = None) -> int:
    """How many entities inspectors can take in a period: a fixed number (at most all of them),
    else a share of the active entities rounded up; at least one while any entity is active."""
    if fixed:
        return int(min(fixed, n_entities))
    return max(1, math.ceil((share or 0.0) * n_entities)) if n_entities else 0


def top_k(score: pd.Series, k: int) -> pd.Index:
    """Index of the k highest scores; ties broken by index so the result is deterministic."""
    order = pd.DataFrame({"s": score.to_numpy(), "i": score.index}).sort_values(["s", "i"], ascending=[False, True])
    return pd.Index(order["i"].iloc[:k])


def at_k(score: pd.Series, positive: pd.Series, k: int, amount: pd.Series | None = None) -> dict[str, float]:
    """precision@k, recall@k and amount-weighted recall@k of ranking by `score`.

    `positive` (bool) and `amount` (yuan at stake on positives) share `score`'s index.
    """
    k = int(min(k, len(score)))
    chosen = top_k(score, k)
    pos = positive.reindex(score.index, fill_value=False).astype(bool)
    hits = pos.loc[chosen].sum()
    out = {"precision_at_k": hits / k if k else 0.0, "recall_at_k": hits / pos.sum() if pos.sum() else 0.0}
    if amount is not None:
        amt = amount.reindex(score.index, fill_value=0.0).where(pos, 0.0)
        out["amount_recall_at_k"] = amt.loc[chosen].sum() / amt.sum() if amt.sum() > 0 else 0.0
    return out


def ranking(score: pd.Series, positive: pd.Series) -> dict[str, float]:
    """PR-AUC (average precision) and ROC-AUC; NaN where only one class is present."""
    y = positive.reindex(score.index, fill_value=False).astype(int)
    if y.nunique() < 2:
        return {"pr_auc": float("nan"), "roc_auc": float("nan")}
    return {"pr_auc": average_precision_score(y, score), "roc_auc": roc_auc_score(y, score)}


def average_precision(score: np.ndarray, positive: np.ndarray) -> float:
    """Average precision without sklearn's per-call overhead (ties ordered by position)."""
    order = np.argsort(-score, kind="stable")
    hits = positive[order].astype(float)
    if hits.sum() == 0:
        return float("nan")
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def evaluate(score: pd.Series, positive: pd.Series, k: int, amount: pd.Series | None = None) -> dict[str, float]:
    return {**at_k(score, positive, k, amount), **ranking(score, positive)}


def random_baseline(positive: pd.Series, k: int, amount: pd.Series | None = None) -> dict[str, float]:
    """Expected figures of inspecting k entities at random (no need to draw)."""
    n = len(positive)
    k = min(k, n)
    prevalence = positive.mean() if n else 0.0
    out = {"precision_at_k": prevalence, "recall_at_k": k / n if n else 0.0, "pr_auc": prevalence, "roc_auc": 0.5}
    if amount is not None:
        out["amount_recall_at_k"] = out["recall_at_k"]
    return out


def baselines(table: pd.DataFrame, positive: pd.Series, k: int, amount: pd.Series | None = None) -> dict[str, dict]:
    """What a supervisor would do without the model: random, biggest fund spenders, most rule hits."""
    return {
        "random": random_baseline(positive, k, amount),
        "spend": evaluate(table["fund_paid"], positive, k, amount),
        "rules": evaluate(table["rule_hits_total"] + 1e-6 * table["fund_paid"].rank(), positive, k, amount),
    }


def recall_by_pattern(score: pd.Series, truth: pd.DataFrame, k: int) -> dict[str, float]:
    """Share of each planted pattern's entities that make the top k (synthetic data only)."""
    chosen = set(top_k(score, min(k, len(score))))
    present = truth[truth["entity_id"].isin(score.index)]
    return {p: float(np.mean([e in chosen for e in g["entity_id"].unique()])) for p, g in present.groupby("pattern")}
