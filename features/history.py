"""The claim history as of a cut-off: what every feature is computed from, and nothing later.

`cut_history` keeps the claims settled in the look-back window before the end of the period and
the lines of the claims settled in the period, each joined with the attributes that features
need. Claims settled at or after the cut-off never enter, so no feature can see the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_contracts.vocabulary import period_bounds

OFF_HOURS = ((0.0, 7.0), (12.0, 13.0), (19.0, 24.0))  # before opening, lunch, evening
NIGHT = ((0.0, 6.0), (22.0, 24.0))


@dataclass(frozen=True)
class History:
    """Claims of the look-back window and lines of the period, as of the period's end."""

    period: str
    start: pd.Timestamp  # first instant of the period
    end: pd.Timestamp  # the cut-off: first instant after the period
    claims: pd.DataFrame  # window claims; `month` = 0 for the period, -1 the month before, ...
    items: pd.DataFrame  # lines of the period's claims, with catalogue and claim attributes
    providers: pd.DataFrame  # indexed by provider_id
    insured: pd.DataFrame  # indexed by person_id
    catalog: pd.DataFrame  # indexed by item_code

    @property
    def current(self) -> pd.DataFrame:
        return self.claims[self.claims["month"] == 0]

    @property
    def days(self) -> int:
        return int((self.end - self.start) / pd.Timedelta(days=1))


def _in_hours(hour: pd.Series, spans) -> pd.Series:
    out = pd.Series(False, index=hour.index)
    for lo, hi in spans:
        out |= (hour >= lo) & (hour < hi)
    return out


def cut_history(tables: Mapping[str, pd.DataFrame], period: str, lookback_months: int = 12) -> History:
    """Everything features may use for `period`: claims settled before its end, no later."""
    start, end = period_bounds(period)
    window_start = start - pd.DateOffset(months=lookback_months - 1)
    claims = tables["claims"]
    settle = claims["settle_time"]
    claims = claims[(settle >= window_start) & (settle < end)]
    month_no = claims["settle_time"].dt.to_period("M").astype("int64") - pd.Period(period, "M").ordinal
    hour = claims["settle_time"].dt.hour + claims["settle_time"].dt.minute / 60
    providers = tables["providers"].set_index("provider_id")
    insured = tables["insured"].set_index("person_id")
    catalog = tables["catalog"].set_index("item_code")
    claims = claims.assign(
        month=month_no.to_numpy(),
        day=claims["settle_time"].dt.normalize(),
        off_hours=_in_hours(hour, OFF_HOURS).to_numpy(),
        night=_in_hours(hour, NIGHT).to_numpy(),
        weekend=(claims["settle_time"].dt.dayofweek >= 5).to_numpy(),
        los=(claims["discharge_date"] - claims["admit_date"]).dt.days.to_numpy(),
        provider_region=providers["region"].reindex(claims["provider_id"]).to_numpy(),
    ).reset_index(drop=True)
    current = claims.loc[claims["month"] == 0, ["claim_id", "provider_id", "person_id", "setting"]]
    items = tables["claim_items"]
    items = items[items["claim_id"].isin(current["claim_id"])].merge(current, on="claim_id", how="left")
    cat_cols = ["item_type", "sex_restriction", "reference_price", "max_daily_quantity", "bundle_code"]
    items = items.join(catalog[cat_cols], on="item_code")
    return History(period, start, end, claims, items.reset_index(drop=True), providers, insured, catalog)


def entity_shard(ids: pd.Series | pd.Index, n_shards: int) -> np.ndarray:
    """Stable shard number of each id (the same on every machine and run)."""
    return (pd.util.hash_array(np.asarray(ids, dtype=object)) % np.uint64(n_shards)).astype(np.int64)
