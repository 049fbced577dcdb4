"""Case files: everything a reviewer reads about one entity, as JSON-ready dicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import FeatureSet
from features.schema import peer_pct, peer_ratio

TOP_CLAIMS = 20


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


def peer_values(fs: FeatureSet, entity_id: str, measures: list[str]) -> list[dict]:
    """Each base measure of a provider: its value, the peer median, the ratio and percentile."""
    row = fs.provider.set_index("entity_id").loc[entity_id]
    medians = fs.peer_medians.loc[entity_id]
    return [{"measure": m, "value": _clean(row[m]), "peer_median": _clean(medians[m]),
             "ratio": _clean(row[peer_ratio(m)]), "percentile": _clean(row[peer_pct(m)])}
            for m in measures if m in medians.index]


def evidence(hits: pd.DataFrame, rule_names: dict[str, str], key: str, entity_id: str) -> list[dict]:
    """Rule hits of the entity: per rule, the claims (and lines) that broke it."""
    mine = hits[hits[key] == entity_id]
    out = []
    for rule_id, group in mine.groupby("rule_id", sort=True):
        lines = group.dropna(subset=["line_no"])
        out.append({"rule_id": rule_id, "rule": rule_names.get(rule_id, rule_id),
                    "claims": sorted(group["claim_id"].unique().tolist()),
                    "lines": [{"claim_id": c, "line_no": int(n)} for c, n in zip(lines["claim_id"], lines["line_no"])]})
    return out


def driving_claims(claims: pd.DataFrame, lines_by_claim: dict[str, pd.DataFrame]) -> list[dict]:
    """The claims carrying the amount at risk (rule-breaking ones first, by fund paid), with lines.

    `claims`: the entity's claims of the period with a boolean `flagged` column (broke a rule)."""
    top = claims.sort_values(["flagged", "fund_paid", "claim_id"], ascending=[False, False, True]).head(TOP_CLAIMS)
    cols = ["claim_id", "person_id", "provider_id", "setting", "admit_date", "discharge_date", "settle_time",
            "diagnosis", "total_amount", "fund_paid", "flagged"]
    out = records(top[cols])
    for claim in out:
        lines = lines_by_claim.get(claim["claim_id"])
        claim["lines"] = [] if lines is None else records(
            lines[["line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]])
    return out
