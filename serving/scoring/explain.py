"""Why an entity ranks high: TreeSHAP contributions of the classifier, turned into sentences.

    sv = shap_values(model, X)            # models.explain: TreeSHAP, one column per model feature
    why = reasons("provider", X, sv, model, peer_medians=fs.peer_medians)
    contributions_table(sv, X, top=10)    # long format for case files

When the unsupervised parts (isolation forest, peer outliers) drive the risk score rather than
the classifier, the reasons say which measures make the entity unusual instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.schema import ENTITY_ID, PEER_GROUP, base_name
from models.risk import RiskModel
from serving.scoring.sentences import sentence, unusual


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
             peer_medians) -> dict[str, np.ndarray]:
    """Typical value of each measure behind `columns`, per row (NaN where unknown): the given peer
    medians (a frame indexed by entity id like FeatureSet.peer_medians, or one value per measure),
    else, for persons, the training median the outlier score measures against."""
    typical = {} if entity == "provider" else model.typical_values()
    out = {}
    for base in dict.fromkeys(base_name(c) for c in columns):
        values = np.full(len(X), np.nan)
        if isinstance(peer_medians, pd.DataFrame) and base in peer_medians.columns:
            values = peer_medians[base].reindex(_row_keys(X)).to_numpy(dtype=float)
        elif isinstance(peer_medians, pd.Series) and base in peer_medians.index:
            values = np.full(len(X), float(peer_medians[base]))
        if base in typical:
            values = np.where(np.isnan(values), typical[base], values)
        out[base] = values
    return out


def family(column: str) -> str:
    """What a column is about: its measure, and one family per audit rule (count and rate alike)."""
    base = base_name(column)
    if base in ("rule_hits_total", "rule_hit_rate"):
        return "rule_hits"
    for suffix in ("_claims", "_rate"):
        if base.startswith("rule_") and base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def _top(values: np.ndarray, top: int, columns: list[str]) -> np.ndarray:
    """Column positions of each row's `top` largest values, largest first (ties: column order),
    one per family, so a measure and its peer ratio, or a rule's count and rate, are named once."""
    fam = np.array([family(c) for c in columns])
    names, inverse = np.unique(fam, return_inverse=True)
    best_val = np.full((len(values), len(names)), -np.inf)
    best_pos = np.zeros((len(values), len(names)), dtype=int)
    for f in range(len(names)):
        cols = np.flatnonzero(inverse == f)
        sub = values[:, cols]
        arg = np.argmax(sub, axis=1)
        best_val[:, f] = sub[np.arange(len(values)), arg]
        best_pos[:, f] = cols[arg]
    order = np.argsort(-best_val, axis=1, kind="stable")
    return np.take_along_axis(best_pos, order[:, :top], axis=1)


def _items(entity, X, cols, positions, ranked, shap_arr, medians, groups, lang, kind,
           floor=0.0) -> list[list[dict]]:
    """Sentences and figures for each row's chosen columns (`positions`, ranked by `ranked`,
    kept while the ranking value is above `floor`)."""
    bases = [base_name(c) for c in cols]
    nan = np.full(len(X), np.nan)
    med = np.column_stack([medians.get(b, nan) for b in bases])
    raw = np.column_stack([X[b].to_numpy(dtype=float) if b in X.columns else nan for b in bases])

    def pick(matrix):
        return np.take_along_axis(matrix, positions, axis=1).tolist()

    values, shaps, meds, raws = pick(X[cols].to_numpy(dtype=float)), pick(shap_arr), pick(med), pick(raw)
    keep = (np.asarray(ranked) > floor).tolist()
    prefix = unusual("", lang) if kind == "unusual" else ""
    out = []
    for r, pos in enumerate(positions.tolist()):
        row = []
        for k, j in enumerate(pos):
            if not keep[r][k]:
                break
            m = None if meds[r][k] != meds[r][k] else meds[r][k]
            text = sentence(entity, cols[j], values[r][k], median=m, group=groups[r], base_value=raws[r][k],
                            lang=lang)
            row.append({"feature": cols[j], "value": values[r][k], "peer_median": m, "shap": shaps[r][k],
                        "sentence": prefix + text, "kind": kind})
        out.append(row)
    return out


def reasons(entity: str, X: pd.DataFrame, shap_df: pd.DataFrame, model: RiskModel, *,
            peer_medians: pd.DataFrame | pd.Series | None = None, peer_groups: pd.Series | None = None,
            lang: str = "en", top: int = 3, scores: pd.DataFrame | None = None,
            min_shap: float = 0.0) -> pd.DataFrame:
    """Per row of `shap_df` (rows of `X`): the `top` features pushing the risk up, in words.

    Model-driven rows name exactly the features with the largest SHAP values above `min_shap`
    (default: every positive one), largest first. Anomaly-driven rows (see `drivers`) first name
    the measures standing furthest above the typical value (`model.excess`), prefixed
    'unusual: ' / '异常: ', then fill up with those top-SHAP features not already named.
    `peer_medians`: FeatureSet.peer_medians (indexed by entity id: X's `entity_id` column, else
    its index, is looked up) or one value per measure; `peer_groups`: group keys aligned with X
    (default: X's `peer_group` column); `scores`: `model.score(X)` if already computed.

    Columns: reasons (sentences joined by '; '), reason_1..reason_<top>, driver ('model' or
    'anomaly'), top_features (list of dicts: feature, value, peer_median, shap, sentence, kind,
    where kind is 'model' or 'unusual' and peer_median is the median of the feature's measure).
    """
    X = X if X.index.equals(shap_df.index) else X.loc[shap_df.index]
    columns = ["reasons", *(f"reason_{k + 1}" for k in range(top)), "driver", "top_features"]
    if X.empty:
        return pd.DataFrame(columns=columns, index=X.index)
    features, outl = list(shap_df.columns), list(model.outlier_features)
    S = shap_df.to_numpy(dtype=float)
    explained = shap_df.attrs.get("explained", model.is_supervised)
    scores = model.score(X) if scores is None else scores.loc[X.index]
    driver = drivers(scores, model, explained).to_numpy()
    if peer_groups is None:
        peer_groups = X[PEER_GROUP] if PEER_GROUP in X.columns else pd.Series(None, index=X.index, dtype=object)
    groups = list(peer_groups if peer_groups.index.equals(X.index) else peer_groups.loc[X.index])
    medians = _medians(entity, X, model, features + outl, peer_medians)

    pos = _top(S, top, features)
    items = _items(entity, X, features, pos, np.take_along_axis(S, pos, axis=1), S, medians, groups, lang,
                   "model", min_shap)
    odd_rows = np.flatnonzero(driver == "anomaly")
    if len(odd_rows):
        sub = X.iloc[odd_rows]
        excess = model.excess(sub)
        epos = _top(excess, top, outl)
        sub_shap = shap_df.iloc[odd_rows].reindex(columns=outl, fill_value=0.0).to_numpy(dtype=float)
        sub_medians = {k: v[odd_rows] for k, v in medians.items()}
        odd = _items(entity, sub, outl, epos, np.take_along_axis(excess, epos, axis=1), sub_shap, sub_medians,
                     [groups[i] for i in odd_rows], lang, "unusual")
        for i, row in zip(odd_rows, odd):
            named = {family(d["feature"]) for d in row}
            items[i] = (row + [d for d in items[i] if family(d["feature"]) not in named])[:top]

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
    k = order.shape[1]
    return pd.DataFrame({
        "entity_id": np.repeat(np.asarray(_row_keys(X)), k),
        "feature": features[order].ravel(),
        "value": np.take_along_axis(V, order, axis=1).ravel(),
        "shap": np.take_along_axis(S, order, axis=1).ravel(),
    })
