"""Labels onto feature rows: which (entity, period) rows inspections judged, and what they found.

Inspection outcomes are known only after the period they describe; every input derived from them
respects that delay.
"""

from __future__ import annotations

import pandas as pd

from data_contracts.vocabulary import ENTITY_ID, PERIOD, shift

KEYS = [ENTITY_ID, PERIOD]
LABEL_FEATURES = ["prior_fraud_findings", "prior_inspections"]


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


def model_rows(table: pd.DataFrame, labels: pd.DataFrame, delay: int) -> pd.DataFrame:
    """A period's feature rows as the model takes them (with the label-history inputs), indexed
    by entity id; `labels` holds this entity type's labels only."""
    return with_label_history(table, labels, delay).set_index(ENTITY_ID, drop=False)
