"""TreeSHAP contributions of a RiskModel's classifier: exact, and fast on large frames.

    sv = shap_values(model, X)            # one column per model.features, log-odds of fraud
    sv.attrs["base_value"]                # expected value: sv.sum(axis=1) + base = raw log-odds
    sv.attrs["explained"]                 # False when the classifier is untrained (all zeros)

Turning the contributions into sentences is the scoring job's (serving.scoring.explain).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from models.risk import RiskModel


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def _positive_class(values, expected) -> tuple[np.ndarray, float]:
    """SHAP's binary-classifier output has been a list of two arrays, a (n, f, 2) array and a
    (n, f) array across versions; keep the positive class's in every case."""
    if isinstance(values, list):
        values = values[-1]
    values = np.asarray(values, dtype=float)
    if values.ndim == 3:
        values = values[..., -1]
    return values, float(np.ravel(expected)[-1])


def _tree_splits(booster) -> dict[int, tuple[np.ndarray, np.ndarray]] | None:
    """Per tree: the feature positions and thresholds of its splits (None with categorical splits)."""
    trees = booster.trees_to_dataframe()
    splits = trees[trees["split_feature"].notna()]
    if (splits["decision_type"] != "<=").any():
        return None
    position = {name: j for j, name in enumerate(booster.feature_name())}
    return {
        int(t): (g["split_feature"].map(position).to_numpy(dtype=int), g["threshold"].to_numpy(dtype=float))
        for t, g in splits.groupby("tree_index")
    }


def _sides(data: np.ndarray, special: np.ndarray, features: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Which side of each split of one tree every row is on, as one integer per row (NaN and zero,
    |x| <= 1e-35 for LightGBM, get codes of their own: they may go the default way). A tree gives
    rows on the same sides of all its splits the same SHAP values."""
    key, bound = np.zeros(len(data), dtype=np.int64), 1
    for j, threshold in zip(features, thresholds):
        key, bound = key * 4 + np.maximum(special[:, j], data[:, j] <= threshold), bound * 4
        if bound > 1 << 60:
            uniq, key = np.unique(key, return_inverse=True)
            key, bound = key.reshape(-1).astype(np.int64), len(uniq)
    return key


def _by_tree(booster, data: np.ndarray, splits: dict) -> tuple[np.ndarray, float] | None:
    """Exact TreeSHAP (LightGBM's own, which TreeExplainer calls for LightGBM) tree by tree, each
    tree on one row per combination of sides of its splits; None when that would not save work
    (judged on a sample: most rows differ in some tree)."""
    n_trees = booster.num_trees()
    data = np.asfortranarray(data)
    special = np.where(np.isnan(data), 2, np.where(np.abs(data) <= 1e-35, 3, 0)).astype(np.int8)
    special = np.asfortranarray(special)
    sample = np.linspace(0, len(data) - 1, min(len(data), 4000)).astype(int)
    distinct = sum(len(np.unique(_sides(data[sample], special[sample], *splits[t]))) for t in splits)
    if distinct > 0.3 * len(sample) * n_trees:
        return None
    out, base = np.zeros(data.shape), 0.0
    for t in range(n_trees):
        if t not in splits:  # a single-leaf tree only moves the base value
            base += booster.predict(data[:1], start_iteration=t, num_iteration=1, pred_contrib=True)[0, -1]
            continue
        features, thresholds = splits[t]
        sides = _sides(data, special, features, thresholds)
        _, first, kind = np.unique(sides, return_index=True, return_inverse=True)
        phi = booster.predict(data[first], start_iteration=t, num_iteration=1, pred_contrib=True)
        used = np.unique(features)
        out[:, used] += phi[:, used][kind.reshape(-1)]
        base += phi[0, -1]
    return out, base


def _explainer(clf, data: pd.DataFrame) -> tuple[np.ndarray, float]:
    import shap

    explainer = shap.TreeExplainer(clf)
    with warnings.catch_warnings():  # a stale "output has changed to a list" notice for LightGBM
        warnings.simplefilter("ignore", UserWarning)
        values = explainer.shap_values(data, check_additivity=False)
    return _positive_class(values, explainer.expected_value)


def shap_values(model: RiskModel, X: pd.DataFrame) -> pd.DataFrame:
    """TreeSHAP contributions of the classifier for every row of `X` (index kept, one column per
    `model.features`, in log-odds of fraud). `attrs["base_value"]` is the expected value, so each
    row sums with it to the classifier's raw output; `attrs["explained"]` is False (and every
    contribution 0) when the classifier was never trained on fraud labels.

    Small frames: one shap.TreeExplainer call. Large frames where many rows look alike to the
    trees: the same numbers computed tree by tree on one row per kind (several times faster)."""
    clf = model.classifier_
    if not model.is_supervised:
        out = pd.DataFrame(0.0, index=X.index, columns=list(model.features))
        out.attrs.update(base_value=_logit(clf.class_prior_[-1]), explained=False)
        return out
    data = X[model.features]
    result = None
    booster = clf.booster_
    if data.empty:  # the base value does not depend on the row
        result = np.zeros(data.shape), booster.predict(np.zeros((1, data.shape[1])), pred_contrib=True)[0, -1]
    elif len(data) > 5000 and booster.num_trees() == booster.current_iteration() and booster.best_iteration <= 0:
        splits = _tree_splits(booster)
        result = _by_tree(booster, data.to_numpy(dtype=float), splits) if splits is not None else None
    values, base = result if result is not None else _explainer(clf, data)
    out = pd.DataFrame(values, index=X.index, columns=list(model.features))
    out.attrs.update(base_value=float(base), explained=True)
    return out
