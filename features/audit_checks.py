"""The check functions behind the audit rules (features/audit_rules.yaml).

A check is `check_xxx(ctx, **params) -> DataFrame` returning hit rows (claim_id, line_no,
provider_id, person_id, settle_time, amount) for claims settled in the period only; `ctx` is the
features.rules.RuleContext of one evaluation. Checks are registered in CHECKS under the name the
rule table's `check` field uses, and are vectorised over all claims and lines at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from features.audit_rules import RuleContext

_EPS = 1e-9  # relative slack so a value equal to a threshold does not hit through float noise


def _days(values) -> np.ndarray:
    """Day numbers since 1970-01-01 (int64) of datetime values."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of its first occurrence in `keys` (-1 where absent or null).
    A hash lookup in Arrow: much faster than pd.Index.get_indexer on string columns."""
    found, wanted = _arrow(values), _arrow(keys)
    if len(found) == 0 or len(wanted) == 0:
        return np.full(len(found), -1, dtype=np.int64)
    if wanted.type != found.type:
        wanted = wanted.cast(found.type)
    hit = pc.index_in(found, value_set=wanted)
    return hit.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _arrow(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _codes(column: pd.Series, values: list[str]) -> np.ndarray:
    """1..k for entries equal to values[0..k-1], 0 for anything else (null, empty, unknown)."""
    codes = np.zeros(len(column), dtype=np.int64)
    for code, value in enumerate(values, start=1):
        codes[(column == value).to_numpy(dtype=bool, na_value=False)] = code
    return codes


def _per_line(ctx: RuleContext, per_item: np.ndarray, fill) -> np.ndarray:
    """A catalogue attribute (one value per catalog row) for each line; `fill` for unknown items."""
    return np.append(per_item, fill)[ctx.lines["item"].to_numpy()]


def _is_type(ctx: RuleContext, item_types: list[str]) -> np.ndarray:
    """Whether each line's item has one of the catalogue item_types (False for unknown items)."""
    return _per_line(ctx, _codes(ctx.catalog["item_type"], item_types) > 0, False)


def _line_group(ctx: RuleContext) -> np.ndarray:
    """Dense group number (0..k-1) of each line's (claim, item, service day)."""
    lines = ctx.lines
    day = lines["day"].to_numpy()
    first = int(day.min()) if len(day) else 0
    span = int(day.max()) - first + 1 if len(day) else 1
    key = (lines["claim"].to_numpy() * (len(ctx.catalog) + 1) + lines["item"].to_numpy() + 1) * span + (day - first)
    return pd.factorize(key)[0]


def _in_settings(claims: pd.DataFrame, settings: list[str]) -> np.ndarray:
    column = claims["setting"]
    mask = np.zeros(len(claims), dtype=bool)
    for setting in settings:
        mask |= (column == setting).to_numpy(dtype=bool, na_value=False)
    return mask


def _sum_per_claim(ctx: RuleContext, line_mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(ctx.lines["claim"].to_numpy()[line_mask], weights=values[line_mask], minlength=len(ctx.claims))


def check_sex_restricted_item(ctx: RuleContext) -> pd.DataFrame:
    """Lines whose item is restricted to one sex (catalog.sex_restriction F or M) billed on a
    claim of a person of the other sex (insured.sex). Unknown persons or items never hit."""
    restricted = _per_line(ctx, _codes(ctx.catalog["sex_restriction"], ["F", "M"]), 0)
    person = positions(ctx.claims["person_id"], ctx.insured["person_id"])
    sex = np.append(_codes(ctx.insured["sex"], ["F", "M"]), 0)[person]
    person_sex = sex[ctx.lines["claim"].to_numpy()]
    return ctx.line_hits((restricted > 0) & (person_sex > 0) & (restricted != person_sex))


def check_bundle_components(ctx: RuleContext, min_items: int = 2) -> pd.DataFrame:
    """Lines of claims that bill >= min_items distinct items of one package: components sharing a
    catalog.bundle_code, or the package item itself with a component. Every such line is a hit."""
    code, bundle = ctx.catalog["item_code"], ctx.catalog["bundle_code"]
    bundle = bundle.where(bundle.notna() & (bundle != ""))
    package = code.where(code.isin(set(bundle.dropna())))
    group = pd.factorize(bundle.fillna(package))[0]
    item = ctx.lines["item"].to_numpy()
    line_group = _per_line(ctx, group, -1)
    key = ctx.lines["claim"].to_numpy() * (len(group) + 1) + line_group
    frame = pd.DataFrame({"key": key, "item": item})[line_group >= 0]
    distinct = frame.drop_duplicates().groupby("key").size()
    bad = distinct.index[distinct >= min_items].to_numpy()
    return ctx.line_hits((line_group >= 0) & np.isin(key, bad))


def check_price_above_reference(ctx: RuleContext, factor: float) -> pd.DataFrame:
    """Lines whose unit_price exceeds factor × catalog.reference_price."""
    reference = _per_line(ctx, ctx.catalog["reference_price"].to_numpy(dtype=float), np.nan)
    price = ctx.lines["unit_price"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return ctx.line_hits(price > factor * reference * (1 + _EPS))


def check_quantity_above_daily_max(ctx: RuleContext, factor: float = 1.0) -> pd.DataFrame:
    """Lines of an item whose total quantity on one claim and service day exceeds
    factor × catalog.max_daily_quantity; every line of that item-day is a hit."""
    limit = _per_line(ctx, ctx.catalog["max_daily_quantity"].to_numpy(dtype=float, na_value=np.nan), np.nan)
    group = _line_group(ctx)
    total = np.bincount(group, weights=ctx.lines["quantity"].to_numpy(dtype=float))[group]
    with np.errstate(invalid="ignore"):
        return ctx.line_hits(total > factor * limit * (1 + _EPS))


def check_duplicate_line(ctx: RuleContext, min_lines: int = 2) -> pd.DataFrame:
    """The repeated lines (all but the lowest line_no) of an item billed on >= min_lines lines
    of one claim on one service day."""
    group = _line_group(ctx)
    size = np.bincount(group)[group]
    order = np.lexsort((ctx.lines["line_no"].to_numpy(), group))
    repeat = np.zeros(len(group), dtype=bool)
    repeat[order[1:]] = group[order[1:]] == group[order[:-1]]
    return ctx.line_hits((size >= min_lines) & repeat)


def check_outpatient_prescription_over(
    ctx: RuleContext, threshold: float, settings: list[str], item_types: list[str]
) -> pd.DataFrame:
    """Claims of the given settings whose lines of the given item types sum above threshold."""
    spent = _sum_per_claim(ctx, _is_type(ctx, item_types), ctx.lines["amount"].to_numpy(dtype=float))
    return ctx.claim_hits(_in_settings(ctx.claims, settings) & (spent > threshold + _EPS))


def check_large_bill(ctx: RuleContext, threshold: float) -> pd.DataFrame:
    """Claims whose total_amount exceeds threshold."""
    return ctx.claim_hits(ctx.claims["total_amount"].to_numpy(dtype=float) > threshold + _EPS)


def check_night_settlement(ctx: RuleContext, from_hour: int, to_hour: int) -> pd.DataFrame:
    """Claims settled from `from_hour`:00 up to (not including) `to_hour`:00, across midnight
    when from_hour > to_hour."""
    hour = ctx.claims["settle_time"].dt.hour.to_numpy()
    if from_hour > to_hour:
        return ctx.claim_hits((hour >= from_hour) | (hour < to_hour))
    return ctx.claim_hits((hour >= from_hour) & (hour < to_hour))


def check_inpatient_without_drugs(ctx: RuleContext, item_types: list[str]) -> pd.DataFrame:
    """Inpatient claims without any line of the given item types (drugs)."""
    n_lines = _sum_per_claim(ctx, _is_type(ctx, item_types), np.ones(len(ctx.lines)))
    return ctx.claim_hits(_in_settings(ctx.claims, ["inpatient"]) & (n_lines == 0))


def _combine(ctx: RuleContext, current_mask: np.ndarray, history_mask: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Period claims (pos = their position) stacked on history claims (pos = -1)."""
    current = ctx.claims.loc[current_mask, columns]
    past = ctx.history(history_mask, columns)
    return pd.concat([past.assign(pos=-1), current.assign(pos=current.index.to_numpy())], ignore_index=True)


def _hit_positions(ctx: RuleContext, pos: np.ndarray) -> pd.DataFrame:
    """Claim hits for the period positions in `pos` (history entries, -1, are dropped)."""
    mask = np.zeros(len(ctx.claims), dtype=bool)
    mask[pos[pos >= 0]] = True
    return ctx.claim_hits(mask)


def check_readmission_same_diagnosis(ctx: RuleContext, max_days: int) -> pd.DataFrame:
    """Inpatient claims admitted 0..max_days days after the discharge of an earlier inpatient stay
    of the same person with the same diagnosis (any provider; earlier stays may be history)."""
    inpatient = _in_settings(ctx.claims, ["inpatient"])
    if not inpatient.any():
        return _hit_positions(ctx, np.empty(0, dtype=np.int64))
    earliest = ctx.claims.loc[inpatient, "admit_date"].min() - pd.Timedelta(days=max_days)
    everything = ctx.all_claims
    recent = _in_settings(everything, ["inpatient"]) & (everything["discharge_date"] >= earliest).to_numpy()
    stays = _combine(ctx, inpatient, recent, ["person_id", "diagnosis", "admit_date", "discharge_date"])
    stays = stays[stays["diagnosis"].notna()]
    group = stays.groupby(["person_id", "diagnosis"], sort=False).ngroup().to_numpy()
    admit, discharge = _days(stays["admit_date"]), _days(stays["discharge_date"])
    order = np.lexsort((discharge, admit, group))
    group, admit, discharge = group[order], admit[order], discharge[order]
    latest = pd.Series(discharge).groupby(group).cummax().to_numpy()
    gap = admit[1:] - latest[:-1]
    follows = (group[1:] == group[:-1]) & (gap >= 0) & (gap <= max_days)
    return _hit_positions(ctx, stays["pos"].to_numpy()[order][1:][follows])


def check_multi_region_same_day(ctx: RuleContext, min_regions: int, settings: list[str]) -> pd.DataFrame:
    """Claims of the given settings on a day (admit_date) when the same person also has claims of
    those settings at providers of >= min_regions distinct regions (providers.region)."""
    current = _in_settings(ctx.claims, settings)
    days = ctx.claims.loc[current, "admit_date"].unique()
    everything = ctx.all_claims
    same_days = everything["admit_date"].isin(days).to_numpy() & _in_settings(everything, settings)
    claims = _combine(ctx, current, same_days, ["person_id", "provider_id", "admit_date"])
    region_codes = np.append(pd.factorize(ctx.providers["region"])[0], -1)
    region = region_codes[positions(claims["provider_id"], ctx.providers["provider_id"])]
    frame = pd.DataFrame(
        {
            "person": pd.factorize(claims["person_id"])[0],
            "day": _days(claims["admit_date"]),
            "region": region,
            "pos": claims["pos"].to_numpy(),
        }
    )[region >= 0]
    n_regions = frame.drop_duplicates(["person", "day", "region"]).groupby(["person", "day"]).size()
    flagged = n_regions[n_regions >= min_regions].rename("n").reset_index()
    return _hit_positions(ctx, frame.merge(flagged, on=["person", "day"])["pos"].to_numpy())


def check_identical_amount_burst(
    ctx: RuleContext, min_claims: int, min_share: float, settings: list[str]
) -> pd.DataFrame:
    """Claims of the given settings at a provider on a settlement day when >= min_claims of its
    claims that day, and >= min_share of them, have exactly the same total_amount (claims settled
    earlier on the start day count too)."""
    current = _in_settings(ctx.claims, settings)
    everything = ctx.all_claims
    same_day = (everything["settle_time"] >= ctx.start.floor("D")).to_numpy() & _in_settings(everything, settings)
    claims = _combine(ctx, current, same_day, ["provider_id", "settle_time", "total_amount"])
    frame = pd.DataFrame(
        {
            "provider": pd.factorize(claims["provider_id"])[0],
            "day": _days(claims["settle_time"]),
            "cents": np.round(claims["total_amount"].to_numpy(dtype=float) * 100).astype(np.int64),
        }
    )
    same = frame.groupby(["provider", "day", "cents"])["day"].transform("size").to_numpy()
    day_total = frame.groupby(["provider", "day"])["day"].transform("size").to_numpy()
    burst = (same >= min_claims) & (same >= min_share * day_total)
    return _hit_positions(ctx, claims["pos"].to_numpy()[burst])


def check_care_during_inpatient_stay(ctx: RuleContext, settings: list[str]) -> pd.DataFrame:
    """Claims of the given settings whose visit day (admit_date) lies strictly inside an inpatient
    stay of the same person (admit < day < discharge, any provider; stays may be history)."""
    visiting = _in_settings(ctx.claims, settings)
    if not visiting.any():
        return _hit_positions(ctx, np.empty(0, dtype=np.int64))
    first = ctx.claims.loc[visiting, "admit_date"].min()
    everything = ctx.all_claims
    ongoing = _in_settings(everything, ["inpatient"]) & (everything["discharge_date"] > first).to_numpy()
    stays = _combine(
        ctx, _in_settings(ctx.claims, ["inpatient"]), ongoing, ["person_id", "admit_date", "discharge_date"]
    )
    visits = ctx.claims.loc[visiting, ["person_id", "admit_date"]]
    visits = pd.DataFrame(
        {
            "person": positions(visits["person_id"], stays["person_id"]),
            "day": _days(visits["admit_date"]),
            "pos": visits.index.to_numpy(),
        }
    )
    stays = pd.DataFrame(
        {
            "person": positions(stays["person_id"], stays["person_id"]),
            "admit": _days(stays["admit_date"]),
            "discharge": _days(stays["discharge_date"]),
        }
    )
    pairs = visits[visits["person"] >= 0].merge(stays, on="person")
    inside = (pairs["admit"] < pairs["day"]) & (pairs["day"] < pairs["discharge"])
    return _hit_positions(ctx, pairs.loc[inside, "pos"].unique())


CHECKS: dict[str, Callable[..., pd.DataFrame]] = {
    "sex_restricted_item": check_sex_restricted_item,
    "bundle_components": check_bundle_components,
    "price_above_reference": check_price_above_reference,
    "quantity_above_daily_max": check_quantity_above_daily_max,
    "duplicate_line": check_duplicate_line,
    "outpatient_prescription_over": check_outpatient_prescription_over,
    "readmission_same_diagnosis": check_readmission_same_diagnosis,
    "large_bill": check_large_bill,
    "multi_region_same_day": check_multi_region_same_day,
    "night_settlement": check_night_settlement,
    "identical_amount_burst": check_identical_amount_burst,
    "inpatient_without_drugs": check_inpatient_without_drugs,
    "care_during_inpatient_stay": check_care_during_inpatient_stay,
}
