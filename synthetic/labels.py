"""Truth (every planted fraud) and labels (what biased, imperfect inspections found)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic.fraud import NEVER_LABELLED, PATTERNS, pattern_name

PERSON_PATTERNS = (1, 4, 14, 21)  # patterns whose persons are listed in the truth too


def month_label(month_index: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(month_index).astype("datetime64[M]"), unit="M")


def truth_table(ledger: pd.DataFrame, prov_ids: np.ndarray, pers_ids: np.ndarray) -> pd.DataFrame:
    """One row per (entity, period, pattern) with the planted claims and their fund paid.

    `ledger` has one row per settled claim: period, provider, person, tag, fund (fen).
    """
    fraud = ledger[ledger["tag"] > 0]
    parts = []
    prov_tags = [p for p, spec in PATTERNS.items() if spec[1] == "provider"]
    for etype, key, ids, tags in (
        ("provider", "provider", prov_ids, prov_tags),
        ("person", "person", pers_ids, PERSON_PATTERNS),
    ):
        sub = fraud[fraud["tag"].isin(tags)]
        g = sub.groupby(["period", key, "tag"], sort=True).agg(n_claims=("fund", "size"), fund=("fund", "sum"))
        g = g.reset_index()
        parts.append(
            pd.DataFrame(
                {
                    "entity_type": etype,
                    "entity_id": ids[g[key].to_numpy()],
                    "period": month_label(g["period"]),
                    "pattern": [pattern_name(t) for t in g["tag"]],
                    "pattern_no": g["tag"].to_numpy(),
                    "n_claims": g["n_claims"].to_numpy(),
                    "fund_paid": g["fund"].to_numpy() / 100.0,
                }
            )
        )
    truth = pd.concat(parts, ignore_index=True)
    return truth.sort_values(["entity_type", "period", "entity_id", "pattern"], ignore_index=True)


def _inspect(
    rng, spend: np.ndarray, fraud_fund: np.ndarray, eligible: np.ndarray, capacity: int, tip_rate: float
) -> np.ndarray:
    """Pick whom to inspect: big spenders first, some at random, some on tip-offs."""
    scale = spend[spend > 0].mean() if (spend > 0).any() else 1.0
    w = (spend / scale) ** 0.7 + 0.25
    tips = (fraud_fund > 0) & (rng.random(len(w)) < tip_rate)
    w = np.where(tips, w * 8.0, w) * eligible
    keys = np.where(w > 0, np.log(np.maximum(w, 1e-12)) + rng.gumbel(size=len(w)), -np.inf)
    chosen = np.argsort(-keys, kind="stable")[:capacity]
    return np.sort(chosen[np.isfinite(keys[chosen])])


def labels_table(
    rng, ledger: pd.DataFrame, truth: pd.DataFrame, prov_ids, pers_ids, periods: np.ndarray, delay: int = 1
) -> pd.DataFrame:
    """Inspections for every period but the last `delay` ones (their outcomes are not in yet)."""
    rows = []
    never = truth.loc[truth["pattern_no"] == NEVER_LABELLED, "entity_id"].unique()
    for etype, key, ids, capacity, detect in (
        ("provider", "provider", prov_ids, max(3, round(0.06 * len(prov_ids))), 0.75),
        ("person", "person", pers_ids, max(10, round(0.002 * len(pers_ids))), 0.65),
    ):
        eligible = ~np.isin(ids, never)
        for period in periods[: len(periods) - delay]:
            led = ledger[ledger["period"] == period]
            spend = np.bincount(led[key], weights=led["fund"], minlength=len(ids))
            tr = truth[(truth["entity_type"] == etype) & (truth["period"] == month_label(period))]
            fraud_fund = tr.groupby("entity_id")["fund_paid"].sum().reindex(ids, fill_value=0.0).to_numpy()
            pattern = tr.drop_duplicates("entity_id").set_index("entity_id")["pattern"]
            chosen = _inspect(rng, spend, fraud_fund, eligible, capacity, tip_rate=0.5)
            found = (fraud_fund[chosen] > 0) & (rng.random(len(chosen)) < detect)
            recovered = np.where(found, np.round(fraud_fund[chosen] * rng.uniform(0.5, 1.0, len(chosen)), 2), 0.0)
            rows.append(
                pd.DataFrame(
                    {
                        "entity_type": etype,
                        "entity_id": ids[chosen],
                        "period": month_label(period),
                        "outcome": np.where(found, "fraud", "clean"),
                        "pattern": np.where(found, pattern.reindex(ids[chosen]).fillna("").to_numpy(), ""),
                        "amount_recovered": recovered,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)
