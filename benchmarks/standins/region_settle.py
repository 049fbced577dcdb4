"""Prices, payments and the contract tables of a stand-in pooling region.

Part of `regions.py`. Unit prices follow the catalogue's reference price: services on the local
price list by provider kind (tertiary 100% ... clinics 80%), drugs and materials at zero mark-up
in hospitals and clinics (their procurement price, a few per cent under reference) and at each
pharmacy's own price; fraud schemes multiply or override them. Payments split each claim's total
into the pooled fund, the personal account and cash by coverage class (A fully, B 90%, C not
covered), scheme (employee/resident), setting and hospital level (deductibles for stays).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from common import cents
from region_world import COUNTY, SERVICE_PRICE_FACTOR

ELIGIBLE_SHARE = {"A": 1.0, "B": 0.9, "C": 0.0}
DEDUCTIBLE = {3: 1000.0, 2: 600.0, 1: 300.0}
INPATIENT_RATIO = {"employee": {3: 0.85, 2: 0.88, 1: 0.90}, "resident": {3: 0.60, 2: 0.70, 1: 0.80}}


def price_lines(
    rng, lines: pd.DataFrame, claims: pd.DataFrame, prov: pd.DataFrame, catalog: pd.DataFrame
) -> pd.DataFrame:
    """The claim_items table (internal claim numbers still in `cid`): prices, amounts, dates, line numbers."""
    by_cid = claims.set_index("cid")
    p = by_cid.loc[lines["cid"], "prov"].to_numpy()
    kind = prov["kind"].to_numpy()[p]
    cat = catalog.set_index("item_code")
    ref = cat.loc[lines["item"], "reference_price"].to_numpy()
    service = cat.loc[lines["item"], "item_type"].to_numpy() == "service"
    procurement = rng.uniform(0.96, 1.0, len(prov))
    own_price = rng.uniform(0.95, 1.15, len(prov))
    goods_factor = np.where(kind == "pharmacy", own_price[p], procurement[p])
    factor = np.where(service, pd.Series(kind).map(SERVICE_PRICE_FACTOR).to_numpy(), goods_factor)
    unit = cents(ref * factor * lines["price_mult"].to_numpy())
    unit = np.where(lines["price_override"].notna(), cents(lines["price_override"].to_numpy()), unit)
    items = pd.DataFrame(
        {
            "cid": lines["cid"].to_numpy(),
            "item_code": lines["item"].to_numpy(),
            "quantity": lines["qty"].to_numpy(),
            "unit_price": unit,
            "amount": cents(lines["qty"].to_numpy() * unit),
            "service_date": by_cid.loc[lines["cid"], "admit"].to_numpy()
            + pd.to_timedelta(lines["day"].to_numpy(), unit="D"),
        }
    )
    items = items.sort_values(["cid", "service_date"], kind="stable").reset_index(drop=True)
    items.insert(1, "line_no", items.groupby("cid").cumcount() + 1)
    return items


def pay(
    claims: pd.DataFrame, items: pd.DataFrame, persons: pd.DataFrame, prov: pd.DataFrame, catalog: pd.DataFrame
) -> pd.DataFrame:
    """Claims with total_amount, fund_paid, personal_account_paid and self_paid (adding up to the cent)."""
    share = items["item_code"].map(catalog.set_index("item_code")["coverage_class"].map(ELIGIBLE_SHARE))
    sums = pd.DataFrame({"cid": items["cid"], "total": items["amount"], "eligible": items["amount"] * share})
    sums = sums.groupby("cid").sum()
    claims = claims.copy()
    total = cents(sums.loc[claims["cid"], "total"].to_numpy())
    eligible = np.minimum(sums.loc[claims["cid"], "eligible"].to_numpy(), total)
    scheme = persons["scheme"].to_numpy()[claims["person"].to_numpy()]
    chronic = persons["chronic"].to_numpy()[claims["person"].to_numpy()] != ""
    p = claims["prov"].to_numpy()
    level = prov["level"].fillna(1).to_numpy().astype(int)[p]
    fund = fund_share(claims["setting"].to_numpy(), scheme, chronic, level, prov["kind"].to_numpy()[p], eligible)
    fund = cents(np.minimum(fund, total))
    account = cents(
        np.where(
            (scheme == "employee") & (claims["setting"].to_numpy() != "inpatient"),
            0.9 * np.maximum(eligible - fund, 0),
            0.0,
        )
    )
    account = np.minimum(account, cents(total - fund))
    claims["total_amount"], claims["fund_paid"], claims["personal_account_paid"] = total, fund, account
    claims["self_paid"] = np.maximum(cents(total - fund - account), 0.0)
    return claims


def fund_share(setting, scheme, chronic, level, kind, eligible) -> np.ndarray:
    """What the pooled fund pays: deductible and ratio for stays, a share of outpatient and pharmacy care."""
    employee = scheme == "employee"
    ratio_ip = np.where(
        employee,
        pd.Series(level).map(INPATIENT_RATIO["employee"]).to_numpy(),
        pd.Series(level).map(INPATIENT_RATIO["resident"]).to_numpy(),
    )
    inpatient = np.maximum(eligible - pd.Series(level).map(DEDUCTIBLE).to_numpy(), 0) * ratio_ip
    primary = np.isin(kind, ["clinic", "primary"])
    outpatient = eligible * np.where(primary, 0.6, 0.5) * np.where(employee, 1.0, 0.8)
    pharmacy = eligible * np.where(employee | chronic, 0.5, 0.0)
    return np.select([setting == "inpatient", setting == "outpatient"], [inpatient, outpatient], pharmacy)


def contract_claims(
    claims: pd.DataFrame, persons: pd.DataFrame, prov: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims table in the contract's columns and order, numbered in settlement order; and cid -> claim_id."""
    claims = claims.sort_values("settle", kind="stable").reset_index(drop=True)
    claims["claim_id"] = [f"C{10000001 + i}" for i in range(len(claims))]
    person_region = persons["region"].to_numpy()[claims["person"].to_numpy()]
    prov_region = prov["region"].to_numpy()[claims["prov"].to_numpy()]
    admit = pd.to_datetime(claims["admit"]).dt.normalize()
    return pd.DataFrame(
        {
            "claim_id": claims["claim_id"],
            "person_id": persons["person_id"].to_numpy()[claims["person"].to_numpy()],
            "provider_id": prov["provider_id"].to_numpy()[claims["prov"].to_numpy()],
            "doctor_id": claims["doctor"].astype("str").where(claims["doctor"].notna()),
            "setting": claims["setting"],
            "admit_date": admit,
            "discharge_date": admit + pd.to_timedelta(claims["los"].astype(int), unit="D"),
            "settle_time": pd.to_datetime(claims["settle"]).astype("datetime64[s]"),
            "diagnosis": claims["diagnosis"].astype("str").where(claims["diagnosis"].notna()),
            "drg": claims["drg"].astype("str").where(claims["drg"].notna()),
            "total_amount": claims["total_amount"],
            "fund_paid": claims["fund_paid"],
            "personal_account_paid": claims["personal_account_paid"],
            "self_paid": claims["self_paid"],
            "out_of_area": (person_region == COUNTY) != (prov_region == COUNTY),
        }
    ), claims[["cid", "claim_id"]]
