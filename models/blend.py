"""Choosing the blend of the parts on validation folds, and saying how it fares against the
simplest baselines measured on the same folds.

A fold is the parts of the entities it validates on, whether each is a confirmed fraud, and k
(how many inspectors could take). The blend with the best mean precision@k plus PR-AUC wins
(ties: more weight on what needs no labels). The baselines are what a supervisor could do in a
spreadsheet or with a plain model: the biggest spenders over 12 months, the most rule hits, and
a plain gradient-boosting model on a handful of raw 12-month aggregates (the core part alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

from models.metrics import at_k, average_precision, ranking
from models.risk import PARTS, UNSUPERVISED_BLEND, Blend

STEP = 0.25
BASELINES = {"biggest spenders (12 months)": "spend_score", "most rule hits": "rule_hits",
             "plain model on raw 12-month aggregates": "core_score"}


@dataclass
class FoldScores:
    """One validation fold: the parts (and rule hits) of its entities, the truth, and k."""
    parts: pd.DataFrame          # PARTS columns plus rule_hits
    positive: pd.Series          # bool: confirmed fraud
    k: int


def candidates(step: float = STEP) -> list[Blend]:
    n = int(round(1 / step))
    grid = [w for w in product(range(n + 1), repeat=len(PARTS)) if sum(w) == n]
    return [Blend(tuple(x / n for x in w), form) for w in grid for form in ("linear", "max")] + [UNSUPERVISED_BLEND]


def _figures(score: pd.Series, fold: FoldScores) -> tuple[float, float, float]:
    p = at_k(score, fold.positive, fold.k)["precision_at_k"]
    ap = average_precision(score.to_numpy(), fold.positive.to_numpy(dtype=bool))
    return p, ap, ranking(score, fold.positive)["roc_auc"]


def _mean(values) -> float:
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else float("nan")


def evaluate_blend(blend: Blend, folds: list[FoldScores]) -> dict[str, float]:
    figures = [_figures(blend.apply(f.parts), f) for f in folds]
    return {"precision_at_k": _mean(p for p, _, _ in figures), "pr_auc": _mean(a for _, a, _ in figures),
            "roc_auc": _mean(r for _, _, r in figures)}


def baseline_figures(folds: list[FoldScores]) -> dict[str, dict[str, float]]:
    """Each baseline's mean precision@k, PR-AUC and ROC-AUC on the folds."""
    out = {}
    for name, column in BASELINES.items():
        figures = [_figures(f.parts[column] + 1e-9 * f.parts["spend_score"], f) for f in folds]
        out[name] = {"precision_at_k": _mean(p for p, _, _ in figures), "pr_auc": _mean(a for _, a, _ in figures),
                     "roc_auc": _mean(r for _, _, r in figures)}
    return out


def _key(figures: dict[str, float]) -> float:
    return (figures["precision_at_k"] if figures["precision_at_k"] == figures["precision_at_k"] else 0.0) + \
        (figures["pr_auc"] if figures["pr_auc"] == figures["pr_auc"] else 0.0)


def choose_blend(folds: list[FoldScores], supervised: bool = True) -> tuple[Blend, pd.DataFrame]:
    """The blend with the best mean precision@k + PR-AUC over the folds, and every candidate's
    figures. Without confirmed frauds to learn from, the supervised parts are left out."""
    rows = []
    for blend in candidates():
        if not supervised and blend.supervised_weight > 0:
            continue
        figures = evaluate_blend(blend, folds)
        unsupervised = 1.0 - blend.supervised_weight
        rows.append({"blend": blend, **figures, "key": _key(figures), "unsupervised_weight": unsupervised})
    table = pd.DataFrame(rows).sort_values(["key", "roc_auc", "unsupervised_weight"], ascending=False,
                                           ignore_index=True, na_position="last")
    return table.loc[0, "blend"], table


def verdict(ours: dict[str, float], baselines: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """Whether ours beats every baseline on validation (precision@k + PR-AUC), and a sentence
    naming the best baseline and the margin."""
    best_name, best = max(baselines.items(), key=lambda kv: _key(kv[1]))
    margin = _key(ours) - _key(best)
    beats = all(_key(ours) > _key(b) + 1e-9 for b in baselines.values())
    words = (f"beats every baseline on validation (best baseline: {best_name}, precision@k "
             f"{best['precision_at_k']:.2f} vs ours {ours['precision_at_k']:.2f})" if beats else
             f"does NOT beat the baseline '{best_name}' on validation: precision@k {ours['precision_at_k']:.2f} vs "
             f"{best['precision_at_k']:.2f}, PR-AUC {ours['pr_auc']:.2f} vs {best['pr_auc']:.2f} "
             f"(margin {margin:+.2f})")
    return beats, words
