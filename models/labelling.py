"""Labels onto feature rows, as inspections really are.

An inspection reviews a span of months (the labels' optional `period_from` to `period`; without
it, `span` months ending at `period`) and speaks for each of them: its rows are labelled, and
together they weigh as one piece of evidence (each 1 / months reviewed). A confirmed fraud's other
months are never taught as clean. Rows nobody inspected are weak negatives only as far as the
labels leave entities uninspected: where nearly every entity has an outcome, an unlabelled one is
more likely one held back than one known to be clean. No input encodes how often an entity was
inspected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.vocabulary import ENTITY_ID, PERIOD, shift

KEYS = [ENTITY_ID, PERIOD]


def inspections(labels: pd.DataFrame, span: int = 1) -> pd.DataFrame:
    """One row per inspection: entity_id, first and last month reviewed, fraud (bool), amount."""
    if labels.empty:
        return pd.DataFrame(
            {
                "entity_id": pd.Series(dtype=str),
                "first": pd.Series(dtype=str),
                "last": pd.Series(dtype=str),
                "fraud": pd.Series(dtype=bool),
                "amount": pd.Series(dtype=float),
            }
        )
    last = labels[PERIOD].astype(str)
    given = labels["period_from"] if "period_from" in labels.columns else pd.Series(pd.NA, index=labels.index)
    default = last.map(lambda p: shift(p, -(max(span, 1) - 1)))
    first = given.where(given.notna() & (given.astype(str) != ""), default).astype(str)
    amount = (
        pd.to_numeric(labels["amount_recovered"], errors="coerce").fillna(0.0)
        if "amount_recovered" in labels.columns
        else pd.Series(0.0, index=labels.index)
    )
    return pd.DataFrame(
        {
            "entity_id": labels[ENTITY_ID].astype(str).to_numpy(),
            "first": first.to_numpy(),
            "last": last.to_numpy(),
            "fraud": (labels["outcome"] == "fraud").to_numpy(),
            "amount": amount.to_numpy(),
        }
    )


def covered_rows(found: pd.DataFrame, known_by: str | None = None) -> pd.DataFrame:
    """(entity_id, period) rows the inspections speak for, with y (1 = fraud found), weight (1 /
    months the inspection reviewed; the heaviest where inspections overlap) and amount (yuan
    recovered, spread over the months). `known_by`: only inspections whose outcome was known by
    then (their last month at or before it)."""
    if known_by is not None:
        found = found[found["last"] <= known_by]
    if found.empty:
        return pd.DataFrame(
            {
                ENTITY_ID: pd.Series(dtype=str),
                PERIOD: pd.Series(dtype=str),
                "y": pd.Series(dtype=int),
                "weight": pd.Series(dtype=float),
                "amount": pd.Series(dtype=float),
            }
        )
    first = pd.PeriodIndex(found["first"], freq="M").asi8
    n = np.maximum(pd.PeriodIndex(found["last"], freq="M").asi8 - first + 1, 1)
    at = np.repeat(np.arange(len(found)), n)
    month = first[at] + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    out = pd.DataFrame(
        {
            ENTITY_ID: found["entity_id"].to_numpy()[at],
            PERIOD: pd.PeriodIndex.from_ordinals(month, freq="M").strftime("%Y-%m"),
            "y": found["fraud"].to_numpy().astype(int)[at],
            "weight": (1.0 / n)[at],
            "amount": (found["amount"].to_numpy() / n)[at],
        }
    )
    return out.groupby(KEYS, as_index=False).agg(y=("y", "max"), weight=("weight", "max"), amount=("amount", "sum"))


def attach_labels(table: pd.DataFrame, found: pd.DataFrame, known_by: str | None = None) -> pd.DataFrame:
    """`y`, `labelled`, `label_weight`, `amount_recovered` and `fraud_entity` (the entity has a
    confirmed fraud in some inspection known by then) for every row of a feature table."""
    cover = covered_rows(found, known_by).set_index(KEYS)
    at = pd.MultiIndex.from_frame(table[KEYS].astype(str))
    y = cover["y"].reindex(at)
    known = found if known_by is None else found[found["last"] <= known_by]
    fraudsters = set(known.loc[known["fraud"], "entity_id"])
    extra = pd.DataFrame(
        {
            "y": y.fillna(0).astype(int).to_numpy(),
            "labelled": y.notna().to_numpy(),
            "label_weight": cover["weight"].reindex(at).fillna(0.0).to_numpy(),
            "amount_recovered": cover["amount"].reindex(at).fillna(0.0).to_numpy(),
            "fraud_entity": table[ENTITY_ID].astype(str).isin(fraudsters).to_numpy(),
        },
        index=table.index,
    )
    return pd.concat([table.drop(columns=extra.columns, errors="ignore"), extra], axis=1)


def row_weights(rows: pd.DataFrame, unlabelled_weight: float) -> np.ndarray:
    """Training weight of each row: inspected rows by their inspection's share; uninspected rows
    of entities never found fraudulent as weak negatives, scaled down by the share of entities
    that do have an outcome; a confirmed fraud's uninspected months not at all. Positives are
    then up-weighted so the classes weigh alike (square-root balance)."""
    labelled = rows["labelled"].to_numpy()
    entities = rows[ENTITY_ID].nunique()
    coverage = rows.loc[labelled, ENTITY_ID].nunique() / entities if entities else 0.0
    weak = unlabelled_weight * (1.0 - coverage)
    w = np.where(labelled, rows["label_weight"].to_numpy(), np.where(rows["fraud_entity"].to_numpy(), 0.0, weak))
    pos = rows["y"].to_numpy() == 1
    if pos.any() and w[pos].sum() > 0:
        w = np.where(pos, w * (w[~pos].sum() / w[pos].sum()) ** 0.5, w)
    return w


def model_rows(table: pd.DataFrame, labels: pd.DataFrame | None = None, delay: int = 0) -> pd.DataFrame:
    """A period's feature rows as the model takes them, indexed by entity id. (Nothing derived from
    labels is a model input: how often an entity was inspected says how inspections are chosen.)"""
    return table.set_index(ENTITY_ID, drop=False)
