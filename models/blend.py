"""Choosing the blend of the parts on validation folds, and saying how it fares against the
simplest baselines measured on the same folds.

A fold is the parts of the entities it validates on, whether each is a confirmed fraud, and k
(how many inspectors could take). The blend with the best mean precision@k + PR-AUC + ROC-AUC
wins (ties: more weight on what needs no labels). The baselines are what a supervisor could do in a
spreadsheet or with a plain model: the biggest spenders over 12 months, the most rule hits, and
a plain gradient-boosting model on a handful of raw 12-month aggregates (the core part alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.metrics import at_k, average_precision, ranking
from models.risk import PARTS, UNSUPERVISED_BLEND, Blend

MIN_VALIDATION_POSITIVES = 10  # fewer confirmed frauds across the folds: their ranking is too noisy to pick a blend
DEFAULT_BLEND = Blend((1 / 3, 1 / 3, 0.0, 1 / 3, 0.0, 0.0), "linear")  # model, core, peer outliers alike
BASELINES = {
    "biggest spenders (12 months)": "spend_score",
    "most rule hits": "rule_hits",
    "plain model on raw 12-month aggregates": "core_score",
}


@dataclass
class FoldScores:
    """One validation fold: the parts (and rule hits) of its entities, the truth, and k."""

    parts: pd.DataFrame  # PARTS columns plus rule_hits
    positive: pd.Series  # bool: confirmed fraud
    k: int


def _equal(*parts: str) -> tuple[float, ...]:
    return tuple((1.0 / len(parts)) if p in parts else 0.0 for p in PARTS)


# Few, sensible candidates: the two classifiers together, alone, and joined by the peer outliers;
# the unsupervised parts for types without confirmed frauds. Rule evidence reaches the ranking as
# classifier inputs and the isolation forest through the exploration share instead: as blend parts,
# judged on labels that speak only for what inspectors already look for, they won folds and lost
# against the planted truth. With a
# few hundred labels, picking the best of hundreds of weightings follows the noise of the folds, not
# the data. Spending is a baseline, not a candidate: inspections favour big billers, so labels
# reward it for how inspections are chosen.
_CANDIDATE_PARTS = (
    ("model_score", "core_score"),
    ("model_score",),
    ("core_score",),
    ("model_score", "core_score", "outlier_score"),
    ("outlier_score", "rule_score"),
    ("outlier_score",),
    ("rule_score",),
)


def candidates() -> list[Blend]:
    return [Blend(_equal(*parts), "linear") for parts in _CANDIDATE_PARTS] + [UNSUPERVISED_BLEND]


def _figures(score: pd.Series, fold: FoldScores) -> tuple[float, float, float]:
    p = at_k(score, fold.positive, fold.k)["precision_at_k"]
    ap = average_precision(score.to_numpy(), fold.positive.to_numpy(dtype=bool))
    return p, ap, ranking(score, fold.positive)["roc_auc"]


def _mean(values) -> float:
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else float("nan")


def evaluate_blend(blend: Blend, folds: list[FoldScores]) -> dict[str, float]:
    figures = [_figures(blend.apply(f.parts), f) for f in folds]
    return {
        "precision_at_k": _mean(p for p, _, _ in figures),
        "pr_auc": _mean(a for _, a, _ in figures),
        "roc_auc": _mean(r for _, _, r in figures),
    }


def baseline_figures(folds: list[FoldScores]) -> dict[str, dict[str, float]]:
    """Each baseline's mean precision@k, PR-AUC and ROC-AUC on the folds."""
    out = {}
    for name, column in BASELINES.items():
        figures = [_figures(f.parts[column] + 1e-9 * f.parts["spend_score"], f) for f in folds]
        out[name] = {
            "precision_at_k": _mean(p for p, _, _ in figures),
            "pr_auc": _mean(a for _, a, _ in figures),
            "roc_auc": _mean(r for _, _, r in figures),
        }
    return out


def _key(figures: dict[str, float]) -> float:
    """precision@k + PR-AUC + ROC-AUC (missing figures count 0): the top of the list, and the whole."""
    return sum(v for v in (figures.get(k, float("nan")) for k in ("precision_at_k", "pr_auc", "roc_auc")) if v == v)


def choose_blend(folds: list[FoldScores], supervised: bool = True) -> tuple[Blend, pd.DataFrame]:
    """The blend with the best mean precision@k + PR-AUC + ROC-AUC over the folds, and every candidate's
    figures. Without confirmed frauds to learn from, the supervised parts are left out; with fewer
    than MIN_VALIDATION_POSITIVES frauds to judge on, picking the best of many candidates would
    follow noise, so the default blend (both classifiers and the peer outliers, alike) is kept."""
    rows = []
    for blend in candidates():
        if not supervised and blend.supervised_weight > 0:
            continue
        figures = evaluate_blend(blend, folds)
        unsupervised = 1.0 - blend.supervised_weight
        rows.append({"blend": blend, **figures, "key": _key(figures), "unsupervised_weight": unsupervised})
    table = pd.DataFrame(rows).sort_values(
        ["key", "unsupervised_weight"], ascending=False, ignore_index=True, na_position="last"
    )
    if supervised and sum(int(f.positive.sum()) for f in folds) < MIN_VALIDATION_POSITIVES:
        return DEFAULT_BLEND, table
    return table.loc[0, "blend"], table


def verdict(ours: dict[str, float], baselines: dict[str, dict[str, float]]) -> tuple[bool, str]:
    """Whether ours beats every baseline on validation (precision@k + PR-AUC + ROC-AUC), and a sentence
    naming the best baseline and the margin."""
    best_name, best = max(baselines.items(), key=lambda kv: _key(kv[1]))
    margin = _key(ours) - _key(best)
    beats = all(_key(ours) > _key(b) + 1e-9 for b in baselines.values())
    words = (
        f"beats every baseline on validation (best baseline: {best_name}, precision@k "
        f"{best['precision_at_k']:.2f} vs ours {ours['precision_at_k']:.2f})"
        if beats
        else f"does NOT beat the baseline '{best_name}' on validation: precision@k {ours['precision_at_k']:.2f} vs "
        f"{best['precision_at_k']:.2f}, PR-AUC {ours['pr_auc']:.2f} vs {best['pr_auc']:.2f} "
        f"(margin {margin:+.2f})"
    )
    return beats, words
