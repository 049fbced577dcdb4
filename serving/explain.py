"""Why an entity ranks high: TreeSHAP contributions of the classifier, turned into sentences.

    sv = shap_values(model, X)            # one column per model.features, log-odds of fraud
    sv.attrs["base_value"]                # expected value: sv.sum(axis=1) + base = raw log-odds
    sv.attrs["explained"]                 # False when the classifier is untrained (all zeros)
    why = reasons("provider", X, sv, model, peer_medians=fs.peer_medians)
    contributions_table(sv, X, top=10)    # long format for case files

When the unsupervised parts (isolation forest, peer outliers) drive the risk score rather than
the classifier, the reasons say which measures make the entity unusual instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from features.schema import ENTITY_ID, PEER_GROUP, PEER_PCT, PEER_RATIO
from models.risk import RiskModel
from models.supervised import is_trained
from serving.sentences import sentence, unusual


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


def shap_values(model: RiskModel, X: pd.DataFrame) -> pd.DataFrame:
    """TreeSHAP contributions of the classifier for every row of `X` (index kept, one column per
    `model.features`, in log-odds of fraud). `attrs["base_value"]` is the expected value, so each
    row sums with it to the classifier's raw output; `attrs["explained"]` is False (and every
    contribution 0) when the classifier was never trained on fraud labels."""
    data = X[model.features]
    clf = model.classifier_
    if not is_trained(clf):
        out = pd.DataFrame(0.0, index=X.index, columns=list(model.features))
        out.attrs.update(base_value=_logit(clf.class_prior_[-1]), explained=False)
        return out
    import shap

    explainer = shap.TreeExplainer(clf)
    with warnings.catch_warnings():  # a stale "output has changed to a list" notice for LightGBM
        warnings.simplefilter("ignore", UserWarning)
        values = explainer.shap_values(data, check_additivity=False)
    values, base = _positive_class(values, explainer.expected_value)
    out = pd.DataFrame(values, index=X.index, columns=list(model.features))
    out.attrs.update(base_value=base, explained=True)
    return out


def drivers(scores: pd.DataFrame, model: RiskModel, explained: bool = True) -> pd.Series:
    """'anomaly' where the isolation forest and peer outliers weigh more in `risk_score` than the
    classifier under `model.blend` (or the classifier is untrained), else 'model'."""
    w = np.asarray(model.blend.weights, dtype=float)
    parts = scores[["model_score", "anomaly_score", "outlier_score"]].to_numpy(dtype=float) * w
    if model.blend.form == "max":
        unsupervised = parts[:, 1:].max(axis=1)
    else:
        unsupervised = parts[:, 1:].sum(axis=1)
    anomaly = (unsupervised > parts[:, 0]) | (not explained)
    return pd.Series(np.where(anomaly, "anomaly", "model"), index=scores.index, name="driver")


def _row_keys(X: pd.DataFrame) -> pd.Index:
    return pd.Index(X[ENTITY_ID]) if ENTITY_ID in X.columns else X.index


def _medians(entity: str, X: pd.DataFrame, model: RiskModel, columns: list[str],
             peer_medians) -> np.ndarray:
    """Typical value of each raw column for each row (NaN where unknown): the given peer medians
    (a frame indexed by entity id like FeatureSet.peer_medians, or one value per column), else,
    for persons, the training median the outlier score measures against."""
    out = np.full((len(X), len(columns)), np.nan)
    typical = {} if entity == "provider" else dict(zip(model.outlier_features, model.outlier_.median_))
    for j, col in enumerate(columns):
        if col.endswith((PEER_RATIO, PEER_PCT)):
            continue
        if isinstance(peer_medians, pd.DataFrame) and col in peer_medians.columns:
            out[:, j] = peer_medians[col].reindex(_row_keys(X)).to_numpy(dtype=float)
        elif isinstance(peer_medians, pd.Series) and col in peer_medians.index:
            out[:, j] = float(peer_medians[col])
        if col in typical:
            out[:, j] = np.where(np.isnan(out[:, j]), typical[col], out[:, j])
    return out


def _top(values: np.ndarray, top: int) -> np.ndarray:
    """Column positions of each row's `top` largest values, largest first (ties: column order)."""
    return np.argsort(-values, axis=1, kind="stable")[:, :top]


def _items(entity, X, cols, positions, scores, shap_arr, medians, groups, lang, kind) -> list[list[dict]]:
    """The sentences and their figures for the chosen column positions of each row."""
    values = X[cols].to_numpy(dtype=float)
    col_index = {c: i for i, c in enumerate(cols)}
    out = []
    for r, (pos, sc) in enumerate(zip(positions, scores)):
        row = []
        for j, s in zip(pos, sc):
            if not s > 0:
                break
            col = cols[j]
            med = medians[r, col_index[col]]
            med = None if np.isnan(med) else float(med)
            text = sentence(entity, col, values[r, j], median=med, group=groups[r], lang=lang)
            row.append({"feature": col, "value": float(values[r, j]), "peer_median": med,
                        "shap": float(shap_arr[r, j]), "sentence": unusual(text, lang) if kind == "unusual" else text,
                        "kind": kind})
        out.append(row)
    return out


def reasons(entity: str, X: pd.DataFrame, shap_df: pd.DataFrame, model: RiskModel, *,
            peer_medians: pd.DataFrame | pd.Series | None = None, peer_groups: pd.Series | None = None,
            lang: str = "en", top: int = 3, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per row of `shap_df` (rows of `X`): the `top` features pushing the risk up, in words.

    Model-driven rows name exactly the features with the largest positive SHAP values, in order.
    Anomaly-driven rows (see `drivers`) first name the measures standing furthest above the
    typical value (`model.outlier_.excess`), prefixed 'unusual: ' / '异常: ', then fill up with
    the top positive-SHAP features not already named. `peer_medians`: FeatureSet.peer_medians
    (indexed by entity id; X's `entity_id` column, else its index, is looked up) or one value per
    column; `peer_groups`: group keys aligned with X (default: X's `peer_group` column);
    `scores`: `model.score(X)` if already computed.

    Columns: reasons (sentences joined by '; '), reason_1..reason_<top>, driver ('model' or
    'anomaly'), top_features (list of dicts: feature, value, peer_median, shap, sentence, kind).
    """
    X = X if X.index.equals(shap_df.index) else X.loc[shap_df.index]
    features = list(shap_df.columns)
    S = shap_df.to_numpy(dtype=float)
    explained = shap_df.attrs.get("explained", is_trained(model.classifier_))
    scores = model.score(X) if scores is None else scores.loc[X.index]
    driver = drivers(scores, model, explained).to_numpy()
    if peer_groups is None:
        peer_groups = X[PEER_GROUP] if PEER_GROUP in X.columns else pd.Series(None, index=X.index, dtype=object)
    groups = list(peer_groups if peer_groups.index.equals(X.index) else peer_groups.loc[X.index])

    outl = list(model.outlier_features)
    med_cols = list(dict.fromkeys(features + outl))
    medians = _medians(entity, X, model, med_cols, peer_medians)
    pos = _top(S, top)
    model_items = _items(entity, X, features, pos, np.take_along_axis(S, pos, axis=1), S,
                         medians[:, [med_cols.index(c) for c in features]], groups, lang, "model")

    items = model_items
    anomalous = np.flatnonzero(driver == "anomaly")
    if len(anomalous):
        sub = X.iloc[anomalous]
        excess = model.outlier_.excess(sub[outl])
        epos = _top(excess, top)
        shap_of_outl = shap_df.iloc[anomalous].reindex(columns=outl, fill_value=0.0).to_numpy(dtype=float)
        odd = _items(entity, sub, outl, epos, np.take_along_axis(excess, epos, axis=1), shap_of_outl,
                     medians[anomalous][:, [med_cols.index(c) for c in outl]],
                     [groups[i] for i in anomalous], lang, "unusual")
        items = list(model_items)
        for i, row in zip(anomalous, odd):
            named = {d["feature"] for d in row}
            items[i] = (row + [d for d in model_items[i] if d["feature"] not in named])[:top]

    sentences = [[d["sentence"] for d in row] for row in items]
    out = pd.DataFrame({"reasons": ["; ".join(s) for s in sentences]}, index=X.index)
    for k in range(top):
        out[f"reason_{k + 1}"] = [s[k] if len(s) > k else "" for s in sentences]
    out["driver"] = driver
    out["top_features"] = items
    return out


def contributions_table(shap_df: pd.DataFrame, X: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Long format for case files: entity_id, feature, value, shap; rows in the order of
    `shap_df`, each row's features by |shap| descending (only the `top` largest if given)."""
    X = X if X.index.equals(shap_df.index) else X.loc[shap_df.index]
    features = np.asarray(shap_df.columns)
    S = shap_df.to_numpy(dtype=float)
    V = X[list(features)].to_numpy(dtype=float)
    order = np.argsort(-np.abs(S), axis=1, kind="stable")
    if top is not None:
        order = order[:, :top]
    n, k = order.shape
    return pd.DataFrame({
        "entity_id": np.repeat(np.asarray(_row_keys(X)), k),
        "feature": features[order].ravel(),
        "value": np.take_along_axis(V, order, axis=1).ravel(),
        "shap": np.take_along_axis(S, order, axis=1).ravel(),
    })
