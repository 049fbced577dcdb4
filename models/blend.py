"""Choosing the blend of model, anomaly and rule scores on validation periods."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from models.metrics import at_k, average_precision
from models.risk import Blend


def candidates(step: float = 0.1) -> list[Blend]:
    n = int(round(1 / step))
    grid = [(a / n, b / n, (n - a - b) / n) for a, b in product(range(n + 1), repeat=2) if a + b <= n]
    return [Blend(w, form) for w in grid for form in ("linear", "max")]


def choose_blend(scored: list[tuple[pd.DataFrame, pd.Series]], k: int,
                 min_unsupervised: float = 0.5) -> tuple[Blend, pd.DataFrame]:
    """The blend with the best mean precision@k over validation folds.

    `scored`: per fold, the parts of every entity of the validation period and whether each is a
    confirmed fraud (inspected and found). Uninspected entities count as misses, so the figure is
    a lower bound. Ties go to the better PR-AUC, then to more weight on the anomaly part, whose
    strength (patterns nobody has labelled) labels cannot show. For the same reason at least
    `min_unsupervised` of the weight stays on the parts that need no labels: labels are biased
    towards what inspectors already look for, and a blend fitted to them alone would forget the rest.
    """
    rows = []
    for blend in candidates():
        if sum(blend.weights[1:]) < min_unsupervised - 1e-9:
            continue
        per_fold = []
        for parts, positive in scored:
            risk = blend.apply(parts)
            per_fold.append((at_k(risk, positive, k)["precision_at_k"],
                             average_precision(risk.to_numpy(), positive.to_numpy(dtype=bool))))
        rows.append({"blend": blend, "precision_at_k": sum(p for p, _ in per_fold) / len(per_fold),
                     "pr_auc": float(np.nanmean([a for _, a in per_fold])) if any(
                         a == a for _, a in per_fold) else float("nan"),
                     "anomaly_weight": blend.weights[1]})
    table = pd.DataFrame(rows).sort_values(["precision_at_k", "pr_auc", "anomaly_weight"],
                                           ascending=False, ignore_index=True)
    return table.loc[0, "blend"], table
