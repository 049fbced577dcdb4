"""Peer groups of providers and every measure relative to its peers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.schema import peer_pct, peer_ratio

LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级"}


def _group_keys(providers: pd.DataFrame, ids: pd.Index, min_size: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(city-wide type x level key, regional key, whether the regional group is big enough)."""
    p = providers.reindex(ids)
    level = p["level"].astype("Float64")
    base = np.where(
        level.isna().to_numpy(),
        p["provider_type"].to_numpy(),
        p["provider_type"].astype(str) + "-L" + level.fillna(0).astype(int).astype(str),
    )
    base = pd.Series(base, index=ids)
    regional = base + "@" + p["region"].astype(str)
    return base, regional, regional.map(regional.value_counts()) >= min_size


def peer_groups(providers: pd.DataFrame, ids: pd.Index, min_size: int = 5) -> pd.Series:
    """provider type x level, narrowed to the region where that group has at least `min_size`
    members; a provider whose regional group is smaller is compared with its type x level city-wide."""
    base, regional, big = _group_keys(providers, ids, min_size)
    return regional.where(big, base).rename("peer_group")


LEVEL_EN = {1: "primary", 2: "secondary", 3: "tertiary"}
KIND_EN = {"hospital": "hospitals", "clinic": "clinics", "pharmacy": "pharmacies"}
KIND_ZH = {"hospital": "医院", "clinic": "诊所", "pharmacy": "药店"}


def peer_group_label(group: str, lang: str = "en") -> str:
    """'hospital-L3@330102' -> 'tertiary hospitals in 330102' / '330102区县三级医院' (for reasons
    shown to people; a clinic's level 1 goes unsaid, an unknown level too)."""
    base, _, region = group.partition("@")
    kind, _, level = base.partition("-L")
    number = int(level) if level.isdigit() else 0
    shown = number if kind == "hospital" else 0
    if lang == "zh":
        return f"{region + '区县' if region else ''}{LEVEL_ZH.get(shown, '')}{KIND_ZH.get(kind, kind)}"
    words = f"{LEVEL_EN[shown] + ' ' if shown in LEVEL_EN else ''}{KIND_EN.get(kind, kind + 's')}"
    return words + (f" in {region}" if region else "")


def _by_peers(table: pd.DataFrame, groups: pd.Series, how) -> pd.DataFrame:
    """`how(grouped)` computed within each row's peer group. A city-wide group ('clinic-L1')
    holds every provider of its type and level, including those with a regional group."""
    base = groups.str.split("@").str[0]
    city = how(table.groupby(base))
    regional = how(table.groupby(groups))
    use_region = groups.str.contains("@").to_numpy()[:, None]
    return pd.DataFrame(
        np.where(use_region, regional.to_numpy(), city.to_numpy()), index=table.index, columns=table.columns
    )


def peer_medians(table: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    return _by_peers(table, groups, lambda g: g.transform("median"))


def peer_relative(table: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Ratio to the peer median and percentile within the peer group, for every column of `table`.

    The ratio adds a small floor (1% of the column's overall mean magnitude) to both sides, so a
    zero median gives a large but finite ratio instead of infinity.
    """
    median = peer_medians(table, groups)
    floor = table.abs().mean() * 0.01 + 1e-9
    ratio = ((table + floor) / (median + floor)).clip(-1e6, 1e6)
    pct = _by_peers(table, groups, lambda g: g.rank(pct=True, method="average"))
    ratio.columns = [peer_ratio(c) for c in table.columns]
    pct.columns = [peer_pct(c) for c in table.columns]
    return pd.concat([ratio, pct], axis=1)
