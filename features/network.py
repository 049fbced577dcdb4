"""The patient-sharing network of providers, and how unlike its peers a provider's item mix is.

Both look across providers, so they run once over the whole period rather than shard by shard;
their inputs are small (distinct person-provider pairs, provider-by-item spending).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from features.history import History
from features.schema import Measure

MEASURES: list[Measure] = [
    Measure(
        "partner_top_share",
        "largest share of its patients (12 months) also seen by one other provider",
        "与单一其他机构共享患者的最高比例(12个月)",
        "share",
        ("phantom_swipes", "card_misuse"),
    ),
    Measure(
        "partner_hhi",
        "how concentrated its shared patients are on few other providers (Herfindahl)",
        "共享患者集中度(HHI)",
        "0-1",
        ("phantom_swipes",),
    ),
    Measure(
        "n_partners",
        "providers sharing at least 3 of its patients (12 months)",
        "共享3名以上患者的机构数",
        "providers",
        (),
    ),
    Measure(
        "item_mix_distance",
        "how far its spending across items is from its peer group's (0 = same, 1 = disjoint)",
        "诊疗项目与药品结构与同类机构的差异(0-1)",
        "0-1",
        ("over_testing", "unbundling", "drug_swap"),
    ),
]


def sharing(h: History, ids: pd.Index) -> pd.DataFrame:
    """Shared patients with every other provider over the look-back window."""
    pairs = h.claims[["person_id", "provider_id"]].drop_duplicates()
    person, _ = pd.factorize(pairs["person_id"])
    provider, names = pd.factorize(pairs["provider_id"])
    b = sparse.csr_matrix((np.ones(len(pairs)), (person, provider)), shape=(person.max() + 1, len(names)))
    shared = (b.T @ b).toarray()
    own = np.diag(shared).copy()
    np.fill_diagonal(shared, 0)
    total = shared.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(own > 0, shared.max(axis=1) / own, 0.0)
        hhi = np.where(total > 0, ((shared / total[:, None]) ** 2).sum(axis=1), 0.0)
    out = pd.DataFrame(
        {"partner_top_share": top, "partner_hhi": hhi, "n_partners": (shared >= 3).sum(axis=1).astype(float)},
        index=pd.Index(names),
    )
    return out.reindex(ids, fill_value=0.0)


def item_mix_distance(h: History, ids: pd.Index, groups: pd.Series) -> pd.Series:
    """Total-variation distance between a provider's item spending shares and its peer group's."""
    spend = h.items.pivot_table(
        index="provider_id", columns="item_code", values="amount", aggfunc="sum", fill_value=0.0
    ).reindex(ids, fill_value=0.0)
    shares = spend.div(spend.sum(axis=1).where(lambda s: s > 0, 1.0), axis=0)
    peer_mean = shares.groupby(groups.reindex(ids)).transform("mean")
    return (0.5 * (shares - peer_mean).abs().sum(axis=1)).rename("item_mix_distance")
