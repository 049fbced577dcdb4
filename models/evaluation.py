"""Evaluating a model against the planted truth of a synthetic region (validation on labels is
models.blend's)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from models.metrics import baselines, evaluate, recall_by_pattern
from models.risk import RiskModel

if TYPE_CHECKING:
    from models.training import TrainConfig


def truth_metrics(
    model: RiskModel, rows: pd.DataFrame, truth: pd.DataFrame, cfg: TrainConfig, never_labelled: str | None
) -> dict[str, float]:
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
