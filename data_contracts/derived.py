"""Derived frames for the rules that span tables or need arithmetic.

Each frame is aligned row by row with one contract table (same RangeIndex), so a GX
expectation on it points at the same rows as the table itself. Flags are True where the
rule holds or cannot be judged (a null is the not-null rule's business); differences are
rounded to 1e-6 so that "±0.01" means what it says despite float arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_contracts import tables as t
from data_contracts.vocabulary import PERIOD_REGEX

# derived column names
PERSON_KNOWN, PROVIDER_KNOWN, CLAIM_KNOWN, ITEM_KNOWN = "person_known", "provider_known", "claim_known", "item_known"
BUNDLE_KNOWN, ENTITY_KNOWN = "bundle_known", "entity_known"
NOT_FUTURE, SPAN_ORDERED, NOT_REPEATED, ONE_OUTCOME = "not_future", "span_ordered", "not_repeated", "one_outcome"
PAYMENTS_DIFF, LINE_SUM, LINES_DIFF, AMOUNT_DIFF = "payments_diff", "line_sum", "lines_diff", "amount_diff"
LINE_NO_UNIQUE, IN_STAY = "line_no_unique_in_claim", "service_date_in_stay"
CLAIM_ADMIT, CLAIM_DISCHARGE = "claim_admit_date", "claim_discharge_date"
_DECIMALS = 6


def positions(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """Row number in `reference` of each value (its first match); -1 where absent or null."""
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(reference), skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _arrow_text(series: pd.Series) -> pa.Array:
    array = pa.array(series, from_pandas=True)
    return array if array.type == pa.large_string() else array.cast(pa.large_string())


def _known(values: pd.Series, where: np.ndarray) -> np.ndarray:
    """True where a value was found (where >= 0) or is null."""
    return (where >= 0) | values.isna().to_numpy()


def _rounded(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype="float64"), _DECIMALS)


def pharmacy_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims with setting = pharmacy, with the columns their own rules need."""
    return claims.loc[claims[t.SETTING].eq(t.PHARMACY).to_numpy(), [t.SETTING, t.DOCTOR_ID, t.DIAGNOSIS]]


def non_inpatient_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims whose setting is not inpatient (null settings included), with their dates."""
    inpatient = claims[t.SETTING].eq(t.INPATIENT).fillna(False).to_numpy(dtype=bool)
    return claims.loc[~inpatient, [t.SETTING, t.ADMIT_DATE, t.DISCHARGE_DATE]]


def catalog_checks(catalog: pd.DataFrame) -> pd.DataFrame:
    bundle = catalog[t.BUNDLE_CODE]
    return pd.DataFrame({BUNDLE_KNOWN: _known(bundle, positions(bundle, catalog[t.ITEM_CODE]))}, index=catalog.index)


def claims_checks(tables: dict[str, pd.DataFrame], claim_of_line: np.ndarray) -> pd.DataFrame:
    """Person/provider known, payments adding up, and lines adding up to total_amount."""
    claims, items = tables[t.CLAIMS], tables[t.CLAIM_ITEMS]
    total = claims[t.TOTAL_AMOUNT].to_numpy(dtype="float64", na_value=np.nan)
    paid = claims[t.FUND_PAID] + claims[t.PERSONAL_ACCOUNT_PAID] + claims[t.SELF_PAID]
    linked = claim_of_line >= 0
    amounts = items[t.AMOUNT].to_numpy(dtype="float64", na_value=np.nan)[linked]
    line_sum = np.bincount(claim_of_line[linked], weights=amounts, minlength=len(claims))
    person, provider = claims[t.PERSON_ID], claims[t.PROVIDER_ID]
    return pd.DataFrame(
        {
            PERSON_KNOWN: _known(person, positions(person, tables[t.INSURED][t.PERSON_ID])),
            PROVIDER_KNOWN: _known(provider, positions(provider, tables[t.PROVIDERS][t.PROVIDER_ID])),
            PAYMENTS_DIFF: _rounded(total - paid.to_numpy(dtype="float64", na_value=np.nan)),
            LINE_SUM: _rounded(line_sum),
            LINES_DIFF: _rounded(total - line_sum),
        },
        index=claims.index,
    )


def items_checks(tables: dict[str, pd.DataFrame], claim_of_line: np.ndarray) -> pd.DataFrame:
    """Claim and item known, amount = quantity × unit_price, line_no unique, date within stay."""
    claims, items = tables[t.CLAIMS], tables[t.CLAIM_ITEMS]
    item = items[t.ITEM_CODE]
    linked = claim_of_line >= 0
    admit = _dates_of_claims(claims[t.ADMIT_DATE], claim_of_line, linked)
    discharge = _dates_of_claims(claims[t.DISCHARGE_DATE], claim_of_line, linked)
    service = items[t.SERVICE_DATE].to_numpy()
    amount = items[t.AMOUNT] - items[t.QUANTITY] * items[t.UNIT_PRICE]
    return pd.DataFrame(
        {
            CLAIM_KNOWN: _known(items[t.CLAIM_ID], claim_of_line),
            ITEM_KNOWN: _known(item, positions(item, tables[t.CATALOG][t.ITEM_CODE])),
            AMOUNT_DIFF: _rounded(amount.to_numpy(dtype="float64", na_value=np.nan)),
            LINE_NO_UNIQUE: _unique_within(claim_of_line, items[t.CLAIM_ID], items[t.LINE_NO]),
            CLAIM_ADMIT: admit,
            CLAIM_DISCHARGE: discharge,
            IN_STAY: ~((service < admit) | (service > discharge)),
        },
        index=items.index,
    )


def _dates_of_claims(dates: pd.Series, claim_of_line: np.ndarray, linked: np.ndarray) -> np.ndarray:
    values = dates.to_numpy()
    out = np.full(len(claim_of_line), np.datetime64("NaT"), dtype=values.dtype)
    out[linked] = values[claim_of_line[linked]]
    return out


def _unique_within(claim_of_line: np.ndarray, claim_ids: pd.Series, line_no: pd.Series) -> np.ndarray:
    """True where no other line of the same claim has the same line_no (nulls count as unique)."""
    group = claim_of_line.copy()
    orphan = group < 0
    if orphan.any():  # lines of unknown claims are still grouped by their claim_id text
        codes, _ = pd.factorize(claim_ids[orphan])
        group[orphan] = np.where(codes >= 0, codes + len(claim_of_line) + 1, -1)
    numbers = line_no.to_numpy(dtype="float64", na_value=np.nan)
    judged = (group >= 0) & ~np.isnan(numbers)
    if judged.all() and _strictly_ordered(group, numbers):  # the usual layout: sorted by claim, line
        return np.ones(len(group), dtype=bool)
    order = np.lexsort((numbers, group))
    order = order[judged[order]]
    same = (group[order][1:] == group[order][:-1]) & (numbers[order][1:] == numbers[order][:-1])
    repeated = np.zeros(len(order), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    unique = np.ones(len(group), dtype=bool)
    unique[order[repeated]] = False
    return unique


def _strictly_ordered(group: np.ndarray, numbers: np.ndarray) -> bool:
    """Rows sorted by group, and by strictly increasing number within a group."""
    later_group = group[1:] > group[:-1]
    return bool(np.all(later_group | ((group[1:] == group[:-1]) & (numbers[1:] > numbers[:-1]))))


def labels_checks(labels: pd.DataFrame, tables: dict[str, pd.DataFrame], this_month: str = "9999-12") -> pd.DataFrame:
    """entity_id names a provider (entity_type provider) or a person (entity_type person); the
    period is not after `this_month`; period_from (where set) is not after the period; no row is
    an exact copy of another; an entity and period have one outcome."""
    entity, kind = labels[t.ENTITY_ID], labels[t.ENTITY_TYPE]
    provider = positions(entity, tables[t.PROVIDERS][t.PROVIDER_ID]) >= 0
    person = positions(entity, tables[t.INSURED][t.PERSON_ID]) >= 0
    known = np.where(
        kind.eq(t.ENTITY_PROVIDER).to_numpy(), provider, np.where(kind.eq(t.ENTITY_PERSON).to_numpy(), person, True)
    )
    period = labels[t.PERIOD].astype("str")
    well_formed = (
        period.str.fullmatch(PERIOD_REGEX.strip("^$")).fillna(False).to_numpy(dtype=bool)
    )  # else: the format rule
    start = labels[t.PERIOD_FROM] if t.PERIOD_FROM in labels.columns else pd.Series(None, index=labels.index)
    ordered = start.isna().to_numpy() | (start.astype("str") <= period).to_numpy()
    key = [t.ENTITY_TYPE, t.ENTITY_ID, t.PERIOD]
    outcomes = labels.groupby(key, dropna=False)[t.OUTCOME].transform("nunique")
    return pd.DataFrame(
        {
            ENTITY_KNOWN: known | entity.isna().to_numpy(),
            NOT_FUTURE: (period <= this_month).to_numpy() | ~well_formed,
            SPAN_ORDERED: ordered,
            NOT_REPEATED: ~labels.duplicated(keep="first").to_numpy(),
            ONE_OUTCOME: (outcomes <= 1).to_numpy(),
        },
        index=labels.index,
    )
