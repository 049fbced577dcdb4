"""Case files: everything a reviewer reads about one entity, as JSON-ready dicts.

Besides the list row, reasons and driving claims, a case file holds what a reviewers' page draws:

    timeline       [{period, claims, fund_paid}] per month, look-back window through the period
    shap_base, shap_other, shap_output, shap_explained
                   the waterfall base -> contributions -> other features -> output (log-odds)
    peer_values    [{measure, value, peer_median, ratio, percentile}] per base measure
    peer_group, peer_group_name, measure_names
    rule_hits      [{rule_id, rule, claims, lines, n_claims, examples}] with example claims and lines

The per-entity pieces are computed for all listed entities at once (one filter and groupby per
entity type), so a case file costs a few dict lookups, not a pass over the period's claims.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.build import FeatureSet
from features.schema import base_name, peer_pct, peer_ratio
from serving.scoring.sentences import group_words, vocabulary

TOP_CLAIMS = 20
EXAMPLES = 10  # example claims per rule in a case file
CLAIM_COLUMNS = [
    "claim_id",
    "person_id",
    "provider_id",
    "setting",
    "settle_time",
    "diagnosis",
    "total_amount",
    "fund_paid",
]
LINE_COLUMNS = ["line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]
PERSON_PEERS = "all persons active in the period"
PERSON_PEERS_NAME = {"en": PERSON_PEERS, "zh": "当期所有就医参保人"}


def _clean(value):
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def peer_values(fs: FeatureSet, entity_id: str, measures: list[str], table: pd.DataFrame | None = None) -> list[dict]:
    """Each base measure of a provider: its value, the peer median, the ratio and percentile.
    `table`: fs.provider indexed by entity id, if the caller has it (saves re-indexing per call)."""
    row = (fs.provider.set_index("entity_id") if table is None else table).loc[entity_id]
    medians = fs.peer_medians.loc[entity_id]
    return [
        {
            "measure": m,
            "value": _clean(row[m]),
            "peer_median": _clean(medians[m]),
            "ratio": _clean(row[peer_ratio(m)]),
            "percentile": _clean(row[peer_pct(m)]),
        }
        for m in measures
        if m in medians.index
    ]


def population_values(table: pd.DataFrame, ids, measures: list[str]) -> dict[str, list[dict]]:
    """Peer values of `ids` against every row of `table` (one row per entity of the comparison
    group, indexed by entity id): per measure the value, the group median, value / median (None
    where the median is 0) and the percentile (average rank / count, as pandas' rank(pct=True);
    NaN values are left out of the group). One sort per measure, whatever the number of ids."""
    ids = list(ids)
    measures = [m for m in measures if m in table.columns]
    X = table[measures].to_numpy(dtype=float)
    mine = table.loc[ids, measures].to_numpy(dtype=float) if ids else np.empty((0, len(measures)))
    median = np.full(len(measures), np.nan)
    pct = np.full(mine.shape, np.nan)
    for j in range(len(measures)):
        col = np.sort(X[~np.isnan(X[:, j]), j])
        if not len(col):
            continue
        median[j] = np.median(col)
        lo, hi = np.searchsorted(col, mine[:, j], "left"), np.searchsorted(col, mine[:, j], "right")
        pct[:, j] = np.where(np.isnan(mine[:, j]), np.nan, (lo + (hi - lo + 1) / 2) / len(col))
    ratio = np.full(mine.shape, np.nan)
    np.divide(mine, median, out=ratio, where=(median != 0) & ~np.isnan(median))
    med = [_clean(v) for v in median]
    return {
        entity_id: [
            {
                "measure": m,
                "value": _clean(mine[i, j]),
                "peer_median": med[j],
                "ratio": _clean(ratio[i, j]),
                "percentile": _clean(pct[i, j]),
            }
            for j, m in enumerate(measures)
        ]
        for i, entity_id in enumerate(ids)
    }


def person_measures(fs: FeatureSet) -> list[str]:
    """The base measures of persons: every feature column of fs.person that the dictionary names."""
    from features.dictionary import measures

    return [m.name for m in measures("person") if m.name in fs.person.columns]


def peer_group_fields(entity: str, group, lang: str) -> dict:
    """`peer_group` (the provider's key from the list; for persons the fixed PERSON_PEERS) and
    `peer_group_name` (in plain words, in `lang`)."""
    if entity == "provider":
        return {"peer_group": group, "peer_group_name": group_words(group, lang)}
    return {"peer_group": PERSON_PEERS, "peer_group_name": PERSON_PEERS_NAME.get(lang, PERSON_PEERS)}


def plain_names(entity: str, columns, lang: str) -> dict[str, str]:
    """Plain name of each feature or measure column in `lang`: its own dictionary entry (a
    peer-relative column reads as such), else its base measure's, else the column name."""
    vocab = vocabulary(entity)
    out = {}
    for c in columns:
        m = vocab.get(c) or vocab.get(base_name(c))
        out[c] = c if m is None else (m.zh if lang == "zh" else m.en)
    return out


def case_measure_names(entity: str, case: dict, lang: str) -> dict[str, str]:
    """Plain names of every feature or measure a case file mentions (contributions, top
    features, peer values)."""
    cols = [d["feature"] for d in case.get("contributions") or ()]
    cols += [d["feature"] for d in case.get("top_features") or ()]
    cols += [d["measure"] for d in case.get("peer_values") or ()]
    return dict(sorted(plain_names(entity, dict.fromkeys(cols), lang).items()))


def timeline_months(period: str, lookback: int) -> list[str]:
    """'YYYY-MM' of every month from `period` - `lookback` through `period`."""
    last = pd.Period(period, "M")
    return [str(last - k) for k in range(lookback, -1, -1)]


def timelines(claims: pd.DataFrame, key: str, ids, period: str, lookback: int) -> dict[str, list[dict]]:
    """Per entity of `ids`: claims settled and fund paid in each month of timeline_months (0 where
    none). `claims`: any claims with `key`, settle_time and fund_paid; one filter and one groupby
    for all ids."""
    ids = list(ids)
    months = timeline_months(period, lookback)
    first = pd.Period(months[0], "M")
    start, end = first.start_time, (pd.Period(period, "M") + 1).start_time
    settle = claims["settle_time"]
    window = claims.loc[(settle >= start) & (settle < end), [key, "settle_time", "fund_paid"]]
    window = window[window[key].isin(ids)]
    month = window["settle_time"].dt.to_period("M").astype("int64").to_numpy() - first.ordinal
    grid = (
        window.groupby([window[key].to_numpy(), month])["fund_paid"]
        .agg(["size", "sum"])
        .reindex(pd.MultiIndex.from_product([ids, range(len(months))]), fill_value=0)
    )
    n = grid["size"].to_numpy(dtype=np.int64).reshape(len(ids), len(months)).tolist()
    paid = grid["sum"].to_numpy(dtype=float).reshape(len(ids), len(months)).tolist()
    return {
        entity_id: [{"period": m, "claims": c, "fund_paid": _clean(f)} for m, c, f in zip(months, n[i], paid[i])]
        for i, entity_id in enumerate(ids)
    }


def shap_summary(values: pd.DataFrame, contributions: pd.DataFrame, ids) -> dict[str, dict]:
    """Per entity of `ids`: shap_base (the expected value, log-odds), shap_other (the SHAP values
    of the features not in `contributions`, summed), shap_output (base + every SHAP value of the
    row: the classifier's raw log-odds) and shap_explained. `values`: models.explain.shap_values
    output indexed by entity id; `contributions`: the case files' long table (entity_id, shap)."""
    ids = list(ids)
    base = float(values.attrs.get("base_value", 0.0))
    total = values.loc[ids].to_numpy(dtype=float).sum(axis=1)
    shown = contributions.groupby("entity_id")["shap"].sum().reindex(ids, fill_value=0.0).to_numpy(dtype=float)
    explained = bool(values.attrs.get("explained", True))
    return {
        entity_id: {
            "shap_base": _clean(base),
            "shap_other": _clean(total[i] - shown[i]),
            "shap_output": _clean(base + total[i]),
            "shap_explained": explained,
        }
        for i, entity_id in enumerate(ids)
    }


class RuleExamples:
    """Up to `top` claims of the period per listed entity and rule that broke it (largest fund
    paid first, then claim id), with their lines and which lines the rule named. Chosen for all
    listed entities at once; `claim_ids` says whose lines the caller must be able to slice."""

    def __init__(self, hits: pd.DataFrame, claims: pd.DataFrame, key: str, ids, top: int = EXAMPLES):
        mine = hits.loc[hits[key].isin(ids), ["rule_id", "claim_id"]].drop_duplicates()
        ex = mine.merge(claims[CLAIM_COLUMNS], on="claim_id", how="inner")
        ex = ex.sort_values([key, "rule_id", "fund_paid", "claim_id"], ascending=[True, True, False, True])
        self._ex = ex.groupby([key, "rule_id"], sort=False).head(top).reset_index(drop=True)
        self._at = self._ex.groupby([key, "rule_id"], sort=False).indices
        named = hits[hits["claim_id"].isin(self._ex["claim_id"]) & hits["line_no"].notna()]
        self._named = set(zip(named["rule_id"], named["claim_id"], named["line_no"].astype("int64")))

    @property
    def claim_ids(self) -> pd.Series:
        return self._ex["claim_id"]

    def get(self, entity_id: str, rule_id: str, lines_by_claim) -> list[dict]:
        at = self._at.get((entity_id, rule_id))
        if at is None:
            return []
        out = records(self._ex.iloc[at][CLAIM_COLUMNS])
        for claim in out:
            lines = lines_by_claim.get(claim["claim_id"])
            if lines is None:
                claim["lines"] = []
                continue
            lines = lines[LINE_COLUMNS].sort_values("line_no")
            flagged = [(rule_id, claim["claim_id"], int(n)) in self._named for n in lines["line_no"]]
            claim["lines"] = [{**d, "flagged": f} for d, f in zip(records(lines), flagged)]
        return out


def evidence(
    hits: pd.DataFrame,
    rule_names: dict[str, str],
    key: str,
    entity_id: str,
    examples: Callable[[str], list[dict]] | None = None,
) -> list[dict]:
    """Rule hits of the entity: per rule, the claims (and lines) that broke it, how many claims,
    and `examples(rule_id)` (example claims with their lines; none if not given)."""
    mine = hits[hits[key] == entity_id]
    out = []
    for rule_id, group in mine.groupby("rule_id", sort=True):
        lines = group.dropna(subset=["line_no"])
        claims = sorted(group["claim_id"].unique().tolist())
        out.append(
            {
                "rule_id": rule_id,
                "rule": rule_names.get(rule_id, rule_id),
                "claims": claims,
                "lines": [{"claim_id": c, "line_no": int(n)} for c, n in zip(lines["claim_id"], lines["line_no"])],
                "n_claims": len(claims),
                "examples": examples(rule_id) if examples else [],
            }
        )
    return out


def top_claims(claims: pd.DataFrame, key: str, top: int = TOP_CLAIMS) -> pd.DataFrame:
    """The `top` driving claims of every entity at once (the same choice as driving_claims)."""
    order = claims.sort_values(["flagged", "fund_paid", "claim_id"], ascending=[False, False, True])
    return order.groupby(key, sort=False).head(top)


def driving_claims(claims: pd.DataFrame, lines_by_claim: dict[str, pd.DataFrame]) -> list[dict]:
    """The claims carrying the amount at risk (rule-breaking ones first, by fund paid), with lines.

    `claims`: the entity's claims of the period with a boolean `flagged` column (broke a rule)."""
    top = claims.sort_values(["flagged", "fund_paid", "claim_id"], ascending=[False, False, True]).head(TOP_CLAIMS)
    cols = [
        "claim_id",
        "person_id",
        "provider_id",
        "setting",
        "admit_date",
        "discharge_date",
        "settle_time",
        "diagnosis",
        "total_amount",
        "fund_paid",
        "flagged",
    ]
    out = records(top[cols])
    for claim in out:
        lines = lines_by_claim.get(claim["claim_id"])
        claim["lines"] = (
            []
            if lines is None
            else records(lines[["line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]])
        )
    return out
