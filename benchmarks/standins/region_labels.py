"""Inspection outcomes (labels) and the full truth of a stand-in pooling region.

Part of `regions.py`. Labels are biased the way real ones are: a few months of inspections,
each month a handful of providers: first those tipped off (cheats more often than honest ones),
then the rest chosen by how much fund they drew that month; an inspection reviews the last three months
(`period_from`..`period`) and finds an ongoing fraud only with the case's detection chance
(60-75% by default); the hidden scheme is never found, so its providers come out `clean` when
inspected; the latest month has no outcomes yet. The truth lists every provider.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from common import period_of


def monthly_fund(claims: pd.DataFrame, n_prov: int, months: int) -> np.ndarray:
    """Fund paid per provider (rows) and month (columns)."""
    table = np.zeros((n_prov, months))
    np.add.at(table, (claims["prov"].to_numpy(), claims["month"].to_numpy()), claims["fund_paid"].to_numpy())
    return table


def inspect(
    rng, claims: pd.DataFrame, prov: pd.DataFrame, cases, start: pd.Timestamp, months: int, args
) -> pd.DataFrame:
    """One label row per inspected provider per inspection month."""
    fund = monthly_fund(claims, len(prov), months)
    case_of = {c.prov: c for c in cases}
    detect = {c.prov: rng.uniform(*args.detection) for c in cases}
    last_seen = np.full(len(prov), -99)
    found = np.zeros(len(prov), dtype=bool)
    rows = []
    for m in range(max(0, months - 1 - args.inspection_months), months - 1):
        cheating = np.array([p in case_of and case_of[p].start <= m for p in range(len(prov))])
        allowed = (m - last_seen >= 3) & ~found
        for p in choose_inspected(rng, fund[:, m], cheating, allowed, args):
            rows.append(outcome(rng, p, m, case_of.get(p), detect.get(p, 0), claims, args.hidden_scheme))
            last_seen[p] = m
            found[p] = rows[-1]["outcome"] == "fraud"
    labels = pd.DataFrame(rows)
    labels["entity_id"] = prov["provider_id"].to_numpy()[labels.pop("prov")]
    for col in ("period_from", "period"):
        labels[col] = [period_of(start + pd.DateOffset(months=int(x))) for x in labels[col]]
    return labels[["entity_type", "entity_id", "period_from", "period", "outcome", "pattern", "amount_recovered"]]


def choose_inspected(rng, fund: np.ndarray, cheating: np.ndarray, allowed: np.ndarray, args) -> np.ndarray:
    """This month's inspected providers: tip-offs first (up to half the capacity), then big billers.

    A cheating provider is tipped off with chance `args.tip_off` a month, an honest one with 1%.
    """
    tipped = np.flatnonzero(allowed & (rng.random(len(fund)) < np.where(cheating, args.tip_off, 0.01)))
    tips = rng.permutation(tipped)[: args.inspections // 2]
    weight = np.where(allowed, (fund + 1.0) ** 0.8, 0.0)
    weight[tips] = 0
    size = min(args.inspections - len(tips), int((weight > 0).sum()))
    return np.concatenate([tips, rng.choice(len(fund), size, replace=False, p=weight / weight.sum())]).astype(int)


def outcome(rng, p: int, m: int, case, detect: float, claims: pd.DataFrame, hidden: str) -> dict:
    """The result of inspecting provider `p` in month `m` (reviewing months m-2..m)."""
    row = {
        "entity_type": "provider",
        "prov": p,
        "period_from": max(0, m - 2),
        "period": m,
        "outcome": "clean",
        "pattern": "",
        "amount_recovered": 0.0,
    }
    if case is None or case.scheme == hidden or case.start > m or rng.random() >= detect:
        return row
    mine = claims[(claims["prov"] == p) & (claims["scheme"] == case.scheme) & claims["month"].between(m - 2, m)]
    row.update(outcome="fraud", pattern=case.scheme, amount_recovered=round(float(mine["fund_paid"].sum()), 2))
    return row


def truth_table(claims: pd.DataFrame, prov: pd.DataFrame, cases, start: pd.Timestamp, hidden: str) -> pd.DataFrame:
    """Every provider: fraud 0/1, pattern, start period, intensity, claims and fund the fraud touched."""
    touched = (
        claims[claims["scheme"] != ""]
        .groupby("prov")
        .agg(fraud_claims=("cid", "size"), fraud_fund=("fund_paid", "sum"))
    )
    truth = pd.DataFrame(
        {
            "entity_type": "provider",
            "entity_id": prov["provider_id"],
            "fraud": 0,
            "pattern": "",
            "start_period": "",
            "intensity": 0.0,
            "hidden": 0,
            "kind": prov["kind"],
            "lookalike": prov["lookalike"],
        }
    )
    for c in cases:
        truth.loc[c.prov, ["fraud", "pattern", "start_period", "intensity", "hidden"]] = [
            1,
            c.scheme,
            period_of(start + pd.DateOffset(months=c.start)),
            round(c.intensity, 3),
            int(c.scheme == hidden),
        ]
    truth = truth.join(touched).fillna({"fraud_claims": 0, "fraud_fund": 0.0})
    truth["fraud_fund"] = truth["fraud_fund"].round(2)
    truth["fund_total"] = monthly_fund(claims, len(prov), claims["month"].max() + 1).sum(axis=1).round(2)
    return truth
