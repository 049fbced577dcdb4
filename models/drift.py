"""Is this month's data still like the data the model learned from? Population Stability Index.

`profile` keeps a small, JSON-ready picture of each numeric column at training time (it travels
inside the model object and is logged with the run); `psi` compares a new month against it;
`retrain_due` turns the comparison into a yes/no with a reason.

Binning: the edges are the training quantiles (deduplicated, so a column that is mostly zeros
gets few edges). The bins are: below the training minimum, exactly the minimum (point masses at
the floor, often zero, are common in claim measures), the right-closed intervals between
consecutive edges, above the training maximum, and missing (NaN or infinite). Values out of the
training range therefore count as drift, and so does a change in how often a column is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STABLE_BELOW = 0.10  # PSI < 0.10: stable
ACT_FROM = 0.25  # 0.10 <= PSI < 0.25: watch; PSI >= 0.25: act
EPSILON = 1e-4  # shares are floored here so an empty bin gives no infinity
SCORE_COLUMN = "risk_score"
PROFILE_VERSION = 1
COLUMNS = ["feature", "psi", "band", "missing_ref", "missing_now", "note"]


def band(value: float) -> str:
    """'stable', 'watch' or 'act' for one PSI value (a missing value is 'act')."""
    if not np.isfinite(value) or value >= ACT_FROM:
        return "act"
    return "watch" if value >= STABLE_BELOW else "stable"


def _values(column: pd.Series) -> np.ndarray:
    """A column as floats, with anything non-numeric or infinite as NaN."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _shares(edges: list[float], values: np.ndarray) -> np.ndarray:
    """Share of `values` in each bin (see the module docstring); the last entry is the missing share."""
    n = max(len(values), 1)
    missing = np.isnan(values)
    present = values[~missing]
    if edges:
        cuts = np.asarray(edges, dtype=float)
        index = np.searchsorted(cuts, present, side="left") + (present >= cuts[0])
        counts = np.bincount(index, minlength=len(cuts) + 2)
    else:
        counts = np.array([len(present)])
    return np.append(counts, missing.sum()) / n


def _column_profile(values: np.ndarray, bins: int) -> dict:
    present = values[~np.isnan(values)]
    edges = [] if not len(present) else np.unique(np.quantile(present, np.linspace(0, 1, bins + 1))).tolist()
    shares = _shares(edges, values)
    return {
        "edges": [float(e) for e in edges],
        "shares": [round(float(s), 6) for s in shares[:-1]],
        "missing": round(float(shares[-1]), 6),
    }


def profile(X: pd.DataFrame, bins: int = 10) -> dict:
    """The training distribution of every numeric (or boolean) column of `X`, JSON-serialisable:
    {"version", "bins", "rows", "columns": {name: {"edges", "shares", "missing"}}}."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    columns = {str(c): _column_profile(_values(X[c]), bins) for c in numeric}
    return {"version": PROFILE_VERSION, "bins": int(bins), "rows": int(len(X)), "columns": columns}


def psi_value(expected: np.ndarray, actual: np.ndarray, epsilon: float = EPSILON) -> float:
    """sum((a - e) * ln(a / e)) over bins, both shares floored at `epsilon`."""
    e = np.maximum(np.asarray(expected, dtype=float), epsilon)
    a = np.maximum(np.asarray(actual, dtype=float), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def _compare(name: str, ref: dict, X: pd.DataFrame) -> dict:
    if name not in X.columns:
        return {
            "feature": name,
            "psi": np.nan,
            "band": "act",
            "missing_ref": ref["missing"],
            "missing_now": np.nan,
            "note": "column missing from the data",
        }
    now = _shares(ref["edges"], _values(X[name]))
    value = psi_value(np.append(ref["shares"], ref["missing"]), now)
    note = "no rows to compare" if len(X) == 0 else ""
    return {
        "feature": name,
        "psi": value,
        "band": band(value),
        "missing_ref": ref["missing"],
        "missing_now": float(now[-1]),
        "note": note,
    }


def psi(profile: dict, X: pd.DataFrame) -> pd.DataFrame:
    """Per profiled column: PSI of `X` against the reference, its band, the missing shares then
    and now, and a note; sorted by PSI descending (columns absent from `X` first, as 'act')."""
    rows = [_compare(name, ref, X) for name, ref in profile.get("columns", {}).items()]
    table = pd.DataFrame(rows, columns=COLUMNS).astype({"psi": float, "missing_ref": float, "missing_now": float})
    table = table.sort_values(["psi", "feature"], ascending=[False, True], na_position="first", kind="mergesort")
    return table.reset_index(drop=True)


def retrain_due(psi_table: pd.DataFrame, share_act: float = 0.1, score: str = SCORE_COLUMN) -> tuple[bool, str]:
    """Due when at least `share_act` of the features are in 'act', or when the `score` row (if the
    profile included the score) is in 'act'. Returns the decision and a one-line reason."""
    is_score = psi_table["feature"] == score
    features = psi_table[~is_score]
    score_rows = psi_table[is_score]
    acting = features[features["band"] == "act"]["feature"].tolist()
    n = len(features)
    share = len(acting) / n if n else 0.0
    score_act = bool((score_rows["band"] == "act").any())
    counted = f"{len(acting)} of {n} features ({share:.0%}) in act"
    if score_act:
        value = score_rows["psi"].iloc[0]
        shown = "missing" if pd.isna(value) else f"PSI {value:.2f}"
        return True, f"retraining due: the {score} itself drifted ({shown}); {counted}"
    if n and share >= share_act:
        named = ", ".join(acting[:5]) + (", ..." if len(acting) > 5 else "")
        return True, f"retraining due: {counted}, at least {share_act:.0%} ({named})"
    if not n and score_rows.empty:
        return False, "retraining not due: nothing to compare (empty drift table)"
    return False, f"retraining not due: {counted}, below {share_act:.0%}"
