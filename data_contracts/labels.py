"""The labels table beyond loading it: merging the reviewers' recorded outcomes into the file's.

Reviewers record dispositions in the outcomes database (serving.store.outcomes); training and
scoring learn from the labels file and those outcomes together.
"""

from __future__ import annotations

import pandas as pd


def merge_labels(file_labels: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The labels file plus the reviewers' outcomes; where both speak of the same entity and
    period, the outcomes database (the later word) wins."""
    if outcomes.empty:
        return file_labels
    key = ["entity_type", "entity_id", "period"]
    outcomes = outcomes.astype({c: file_labels[c].dtype for c in outcomes.columns if c in file_labels.columns})
    merged = pd.concat([file_labels, outcomes[file_labels.columns.intersection(outcomes.columns)]], ignore_index=True)
    return merged.drop_duplicates(key, keep="last").sort_values(key).reset_index(drop=True)
