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

from features.audit_rules import SEVERITY_WEIGHT
from features.schema import ENTITY_ID, PEER_GROUP, PEER_RATIO, base_name
from models.risk import PARTS, RiskModel
from serving.scoring.sentences import sentence, unusual


def drivers(scores: pd.DataFrame, model: RiskModel, explained: bool = True) -> pd.Series:
    """What drives each row's `risk_score` under `model.blend`: 'model' (the classifiers and
    spending), 'anomaly' (isolation forest and peer outliers) or 'rules' (rule evidence); never
    'model' when the classifier is untrained."""
    groups = {
        "model": ["model_score", "core_score", "spend_score"],
        "anomaly": ["anomaly_score", "outlier_score"],
        "rules": ["rule_score"],
    }
    blend = model.blend
    if blend.form == "evidence":
        weight = {
            "model_score": 0.0,
            "core_score": 0.0,
            "spend_score": 0.0,
            "anomaly_score": 0.4,
            "outlier_score": 0.4,
            "rule_score": 0.6,
        }
    else:
        weight = dict(zip(PARTS, blend.weights))
    pushed = {}
    for name, parts in groups.items():
        values = np.column_stack([scores[p].to_numpy(dtype=float) * weight[p] for p in parts])
        combine = (
            values.max(axis=1)
            if blend.form != "linear" or name == "anomaly" and blend.form == "evidence"
            else values.sum(axis=1)
        )
        pushed[name] = combine
    if not explained:
        pushed["model"] = np.full(len(scores), -1.0)
    table = pd.DataFrame(pushed, index=scores.index)
    return table.idxmax(axis=1).rename("driver")


def _row_keys(X: pd.DataFrame) -> pd.Index:
    return pd.Index(X[ENTITY_ID]) if ENTITY_ID in X.columns else X.index


def _medians(entity: str, X: pd.DataFrame, model: RiskModel, columns: list[str], peer_medians) -> dict[str, np.ndarray]:
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


WINDOW_SUFFIXES = ("_3m", "_12m")


def family(column: str) -> str:
    """What a column is about: its measure (over the month or a look-back window, its value, peer
    ratio and percentile alike), and one family per audit rule (count and rate alike)."""
    base = base_name(column)
    for suffix in WINDOW_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    if base in ("rule_hits_total", "rule_hit_rate"):
        return "rule_hits"
    for suffix in ("_claims", "_rate"):
        if base.startswith("rule_") and base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def _top(values: np.ndarray, top: int, columns: list[str], how: str = "max") -> np.ndarray:
    """Column positions of each row's `top` strongest families, strongest first (ties: column
    order), one column per family (its largest value), so a measure and its peer ratio and
    percentile, or a rule's count and rate, are named once. `how`: a family's strength is its
    largest value ('max') or the sum of its columns' values ('sum': SHAP credit split over a
    measure's value, ratio and percentile counts once, whole)."""
    fam = np.array([family(c) for c in columns])
    names, inverse = np.unique(fam, return_inverse=True)
    strength = np.full((len(values), len(names)), -np.inf)
    best_pos = np.zeros((len(values), len(names)), dtype=int)
    for f in range(len(names)):
        cols = np.flatnonzero(inverse == f)
        sub = values[:, cols]
        arg = np.argmax(sub, axis=1)
        strength[:, f] = sub.sum(axis=1) if how == "sum" else sub[np.arange(len(values)), arg]
        best_pos[:, f] = cols[arg]
    order = np.argsort(-strength, axis=1, kind="stable")[:, :top]
    return np.take_along_axis(best_pos, order, axis=1), np.take_along_axis(strength, order, axis=1)


LOW_IS_RISKY = {"drug_day_share"}  # measures whose low values are the warning sign (ghost stays)
DEPARTURE = 1.2  # a reason's value stands at least 20% beyond its peers' median


def _departs(
    column: str, raw: float, median: float | None, X_row_counts: dict, severities: dict, value: float = float("nan")
) -> bool:
    """Whether a reason shows a real departure a reviewer could defend: a known value at least 20%
    beyond its peers' median in the risky direction (above it, or below for LOW_IS_RISKY), and for
    a rule, more than a single event unless the rule is severity 3."""
    base = base_name(column)
    if raw != raw and column != base and value == value:  # only the peer-relative column is known
        return value >= DEPARTURE if column.endswith(PEER_RATIO) else value >= 0.8
    if raw != raw:
        return False
    if median is not None:
        if base in LOW_IS_RISKY:
            if not raw <= median / DEPARTURE - 1e-12:
                return False
        elif not (raw >= median * DEPARTURE + 1e-12 if median > 0 else raw > median + 1e-12):
            return False
    fam = family(column)
    if fam.startswith("rule_") or fam == "rule_hits":
        hits = X_row_counts.get(fam, raw)
        return hits >= 2 or (hits >= 1 and severities.get(fam, 0) >= 3)
    return True


def _items(
    entity, X, cols, positions, ranked, shap_arr, medians, groups, lang, kind, floor=0.0, top=3, severities=None
) -> list[list[dict]]:
    """Sentences and figures for each row's candidate columns (`positions`, ranked by `ranked`):
    the first `top` whose ranking value is above `floor` and that show a real departure."""
    severities = severities or {}
    bases = [base_name(c) for c in cols]
    nan = np.full(len(X), np.nan)
    med = np.column_stack([medians.get(b, nan) for b in bases])
    raw = np.column_stack([X[b].to_numpy(dtype=float) if b in X.columns else nan for b in bases])
    counts = {
        f: X[f"{f}_claims"].to_numpy(dtype=float)
        for f in {family(c) for c in cols}
        if f.startswith("rule_") and f"{f}_claims" in X.columns
    }
    if "rule_hits_total" in X.columns:
        counts["rule_hits"] = X["rule_hits_total"].to_numpy(dtype=float)

    def pick(matrix):
        return np.take_along_axis(matrix, positions, axis=1).tolist()

    values, shaps, meds, raws = pick(X[cols].to_numpy(dtype=float)), pick(shap_arr), pick(med), pick(raw)
    ranked = np.asarray(ranked).tolist()
    prefix = unusual("", lang) if kind == "unusual" else ""
    out = []
    for r, pos in enumerate(positions.tolist()):
        row, row_counts = [], {f: v[r] for f, v in counts.items()}
        for k, j in enumerate(pos):
            m = None if meds[r][k] != meds[r][k] else meds[r][k]
            if (
                len(row) == top
                or not ranked[r][k] > floor
                or not _departs(cols[j], raws[r][k], m, row_counts, severities, values[r][k])
            ):
                continue
            text = sentence(entity, cols[j], values[r][k], median=m, group=groups[r], base_value=raws[r][k], lang=lang)
            row.append(
                {
                    "feature": cols[j],
                    "value": values[r][k],
                    "peer_median": m,
                    "shap": shaps[r][k],
                    "sentence": prefix + text,
                    "kind": kind,
                }
            )
        out.append(row)
    return out


def _rule_strength(X: pd.DataFrame, rule_columns: list[str], severities: dict) -> np.ndarray:
    """Severity-weighted evidence of each rule for each row (what a reviewer checks first)."""
    weight = np.array([SEVERITY_WEIGHT.get(severities.get(family(c), 1), 1.0) for c in rule_columns])
    return np.log1p(X[rule_columns].to_numpy(dtype=float)) * weight


def _merge(first: list[dict], rest: list[dict], top: int) -> list[dict]:
    named = {family(d["feature"]) for d in first}
    return (first + [d for d in rest if family(d["feature"]) not in named])[:top]


def reasons(
    entity: str,
    X: pd.DataFrame,
    shap_df: pd.DataFrame,
    model: RiskModel,
    *,
    peer_medians: pd.DataFrame | pd.Series | None = None,
    peer_groups: pd.Series | None = None,
    lang: str = "en",
    top: int = 3,
    scores: pd.DataFrame | None = None,
    min_shap: float = 0.0,
    severities: dict[str, int] | None = None,
    unusual: pd.Series | None = None,
) -> pd.DataFrame:
    """Per row of `shap_df` (rows of `X`): the `top` reasons pushing the risk up, in words.

    Model-driven rows name the measures with the most SHAP credit (a measure's columns summed) above
    `min_shap`; anomaly-driven rows first what stands furthest above the typical value ('unusual: ');
    rule-driven rows first the rules with the most severity-weighted evidence. Every reason is a real
    departure (at least 20% beyond the peer median; a single rule event only at severity 3), and a
    severity-3 hit comes first. `severities`: 'rule_<ID>' -> 1..3; `unusual`: anomaly picks (True);
    `peer_medians`: FeatureSet.peer_medians or one value per measure; `peer_groups`: keys aligned
    with X. Columns: reasons, reason_1..reason_<top>, driver, top_features (feature, value,
    peer_median, shap, sentence, kind).
    """
    X = X if X.index.equals(shap_df.index) else X.loc[shap_df.index]
    columns = ["reasons", *(f"reason_{k + 1}" for k in range(top)), "driver", "top_features"]
    if X.empty:
        return pd.DataFrame(columns=columns, index=X.index)
    severities = severities or {}
    features, outl = list(shap_df.columns), list(model.outlier_features)
    S = shap_df.to_numpy(dtype=float)
    driver = _row_drivers(X, shap_df, model, scores, unusual)
    groups = _row_groups(X, peer_groups)
    rule_cols = [c for c in X.columns if c.startswith("rule_") and c.endswith("_claims")]
    medians = _medians(entity, X, model, features + outl + rule_cols, peer_medians)
    common = dict(groups=groups, lang=lang, top=top, severities=severities)

    items = _model_items(entity, X, features, S, medians, min_shap, common)
    rule_items = _rule_items(entity, X, rule_cols, medians, severities, common)
    odd_rows = np.flatnonzero(driver == "anomaly")
    if len(odd_rows):
        odd = _unusual_items(entity, X.iloc[odd_rows], model, shap_df.iloc[odd_rows], medians, odd_rows, common)
        for i, row in zip(odd_rows, odd):
            items[i] = _merge(row, items[i], top)
    severe = (
        X["rule_severity_max"].to_numpy(dtype=float) >= 3
        if "rule_severity_max" in X.columns
        else np.zeros(len(X), dtype=bool)
    )
    for i in range(len(X)):
        if driver[i] == "rules" or not items[i]:
            items[i] = _merge(rule_items[i], items[i], top)
        elif severe[i] and rule_items[i]:
            items[i] = _merge(rule_items[i][:1], items[i], top)
    return _reason_frame(X.index, items, driver, top, lang)


def _row_drivers(X, shap_df, model, scores, unusual) -> np.ndarray:
    """Each row's driver (see `drivers`); anomaly picks are explained by what makes them unusual."""
    explained = shap_df.attrs.get("explained", model.is_supervised)
    scores = model.score(X) if scores is None else scores.loc[X.index]
    driver = drivers(scores, model, explained).to_numpy()
    if unusual is not None:
        driver = np.where(unusual.reindex(X.index, fill_value=False).to_numpy(dtype=bool), "anomaly", driver)
    return driver


def _row_groups(X: pd.DataFrame, peer_groups: pd.Series | None) -> list:
    if peer_groups is None:
        peer_groups = X[PEER_GROUP] if PEER_GROUP in X.columns else pd.Series(None, index=X.index, dtype=object)
    return list(peer_groups if peer_groups.index.equals(X.index) else peer_groups.loc[X.index])


def _model_items(entity, X, features, S, medians, min_shap, common) -> list[list[dict]]:
    """The measures with the most SHAP credit (a measure's columns summed)."""
    pos, strength = _top(S, 4 * common["top"], features, how="sum")
    return _items(entity, X, features, pos, strength, S, medians, kind="model", floor=min_shap, **common)


def _rule_items(entity, X, rule_cols, medians, severities, common) -> list[list[dict]]:
    """The rules with the most severity-weighted evidence."""
    if not rule_cols:
        return [[] for _ in range(len(X))]
    by_rule = _rule_strength(X, rule_cols, severities)
    pos, strength = _top(by_rule, 4 * common["top"], rule_cols)
    return _items(entity, X, rule_cols, pos, strength, np.zeros_like(by_rule), medians, kind="rule", **common)


def _unusual_items(entity, sub, model, sub_shap, medians, rows, common) -> list[list[dict]]:
    """The measures standing furthest above the typical value, for the rows `rows` (`sub`)."""
    outl = list(model.outlier_features)
    excess = model.excess(sub)
    pos, strength = _top(excess, 4 * common["top"], outl)
    shap_part = sub_shap.reindex(columns=outl, fill_value=0.0).to_numpy(dtype=float)
    groups = [common["groups"][i] for i in rows]
    return _items(
        entity,
        sub,
        outl,
        pos,
        strength,
        shap_part,
        {k: v[rows] for k, v in medians.items()},
        kind="unusual",
        **{**common, "groups": groups},
    )


NOTHING_STANDS_OUT = {"en": "nothing stands out from its peers", "zh": "与同类相比无明显异常"}


def _reason_frame(index: pd.Index, items: list[list[dict]], driver: np.ndarray, top: int, lang: str) -> pd.DataFrame:
    """The reasons columns; a row where nothing departs from its peers says so rather than nothing."""
    sentences = [[d["sentence"] for d in row] or [NOTHING_STANDS_OUT[lang]] for row in items]
    out = pd.DataFrame({"reasons": ["; ".join(s) for s in sentences]}, index=index)
    for k in range(top):
        out[f"reason_{k + 1}"] = [s[k] if len(s) > k else "" for s in sentences]
    out["driver"] = driver
    out["top_features"] = items
    return out


def contributions_table(shap_df: pd.DataFrame, X: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Long format for case files: entity_id, feature, value, shap, one row per measure (the SHAP of
    a measure's value, peer ratio and percentile summed, named by the column with the largest
    share); rows in the order of `shap_df`, each row's measures by |shap| descending (only the
    `top` largest if given)."""
    X = X if X.index.equals(shap_df.index) else X.loc[shap_df.index]
    columns = list(shap_df.columns)
    S = shap_df.to_numpy(dtype=float)
    V = X[columns].to_numpy(dtype=float)
    names, inverse = np.unique([family(c) for c in columns], return_inverse=True)
    G = np.zeros((len(S), len(names)))
    rep = np.zeros((len(S), len(names)), dtype=int)
    for f in range(len(names)):
        cols = np.flatnonzero(inverse == f)
        G[:, f] = S[:, cols].sum(axis=1)
        rep[:, f] = cols[np.argmax(np.abs(S[:, cols]), axis=1)]
    order = np.argsort(-np.abs(G), axis=1, kind="stable")
    if top is not None:
        order = order[:, :top]
    k = order.shape[1]
    at = np.take_along_axis(rep, order, axis=1)
    return pd.DataFrame(
        {
            "entity_id": np.repeat(np.asarray(_row_keys(X)), k),
            "feature": np.asarray(columns)[at].ravel(),
            "value": np.take_along_axis(V, at, axis=1).ravel(),
            "shap": np.take_along_axis(G, order, axis=1).ravel(),
        }
    )
