"""Person-level measures of one period (card misuse, drug resale, held cards, group admissions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.history import History
from features.schema import Measure

M = Measure
MEASURES: list[Measure] = [
    M("n_claims", "settlements in the month", "当月结算笔数", "claims", ("card_misuse", "drug_resale")),
    M("n_outpatient", "outpatient visits in the month", "当月门诊次数", "visits", ("card_misuse",)),
    M("n_inpatient", "inpatient stays settled in the month", "当月住院次数", "stays", ("group_admission",)),
    M("n_pharmacy", "pharmacy purchases in the month", "当月药店购药次数", "purchases", ("drug_resale",)),
    M("fund_paid", "fund paid in the month", "当月统筹基金支付", "yuan", ()),
    M(
        "n_providers",
        "distinct hospitals and clinics visited in the month",
        "当月就诊医疗机构数",
        "providers",
        ("card_misuse",),
    ),
    M("n_pharmacies", "distinct pharmacies used in the month", "当月购药药店数", "pharmacies", ("drug_resale",)),
    M(
        "n_regions",
        "distinct districts of the providers used in the month",
        "当月就医区县数",
        "districts",
        ("card_misuse",),
    ),
    M(
        "multi_provider_days",
        "days with visits at two or more providers",
        "同日多机构就诊天数",
        "days",
        ("card_misuse",),
    ),
    M("multi_region_days", "days with visits in two or more districts", "同日跨区县就诊天数", "days", ("card_misuse",)),
    M("drug_units_per_day", "drug packs bought per day of the month", "日均购药数量", "packs/day", ("drug_resale",)),
    M("max_item_units", "most packs of one drug in the month", "单一药品当月最大数量", "packs", ("drug_resale",)),
    M(
        "max_item_pharmacies",
        "most pharmacies selling the same drug to the person in the month",
        "同一药品购药药店数(最大)",
        "pharmacies",
        ("drug_resale",),
    ),
    M(
        "readmissions_15d",
        "readmissions with the same diagnosis within 15 days",
        "15天内同诊断再入院次数",
        "stays",
        ("split_admission",),
    ),
    M(
        "inpatient_days",
        "days in hospital on stays settled in the month",
        "当月住院天数",
        "days",
        ("ghost_stay", "group_admission"),
    ),
    M(
        "off_hours_share",
        "share of settlements outside opening hours",
        "非工作时间结算占比",
        "share",
        ("phantom_swipes",),
    ),
    M(
        "regular_cadence",
        "seen at one provider on the same day of the month 3 months running (1 = yes)",
        "连续3个月同日在同一机构结算(1=是)",
        "flag",
        ("phantom_swipes",),
    ),
    M(
        "high_risk_provider_share",
        "share of the person's settlements at providers in the top tenth by rule hits",
        "在规则命中率前10%机构的结算占比",
        "share",
        ("phantom_swipes", "group_admission", "ghost_stay"),
    ),
    M("out_of_area_share", "share of out-of-area settlements", "异地就医结算占比", "share", ()),
    M("age", "age at the end of the month", "年龄", "years", ()),
    M("female", "female (1) or male (0)", "性别(女=1)", "flag", ()),
    M("employee", "employee scheme (1) or resident scheme (0)", "职工医保(1)或居民医保(0)", "flag", ()),
]


def activity(h: History, ids: pd.Index) -> pd.DataFrame:
    cur = h.current
    g = cur.groupby("person_id")
    count = lambda s: cur[cur["setting"] == s].groupby("person_id").size()
    care = cur[cur["setting"] != "pharmacy"]
    per_day = care.groupby(["person_id", "day"]).agg(
        prov=("provider_id", "nunique"), reg=("provider_region", "nunique")
    )
    by = per_day.index.get_level_values(0)
    return (
        pd.DataFrame(
            {
                "n_claims": g.size(),
                "n_outpatient": count("outpatient"),
                "n_inpatient": count("inpatient"),
                "n_pharmacy": count("pharmacy"),
                "fund_paid": g["fund_paid"].sum(),
                "n_providers": care.groupby("person_id")["provider_id"].nunique(),
                "n_pharmacies": cur[cur["setting"] == "pharmacy"].groupby("person_id")["provider_id"].nunique(),
                "n_regions": care.groupby("person_id")["provider_region"].nunique(),
                "multi_provider_days": (per_day["prov"] >= 2).groupby(by).sum(),
                "multi_region_days": (per_day["reg"] >= 2).groupby(by).sum(),
                "off_hours_share": g["off_hours"].mean(),
                "out_of_area_share": g["out_of_area"].mean(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def drugs(h: History, ids: pd.Index) -> pd.DataFrame:
    d = h.items[h.items["item_type"] == "drug"]
    units = d.groupby(["person_id", "item_code"])["quantity"].sum()
    shop_items = d[d["setting"] == "pharmacy"].groupby(["person_id", "item_code"])["provider_id"].nunique()
    return (
        pd.DataFrame(
            {
                "drug_units_per_day": d.groupby("person_id")["quantity"].sum() / h.days,
                "max_item_units": units.groupby(level=0).max(),
                "max_item_pharmacies": shop_items.groupby(level=0).max(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def stays(h: History, ids: pd.Index) -> pd.DataFrame:
    ip = h.claims[h.claims["setting"] == "inpatient"].sort_values(["admit_date", "claim_id"])
    prev = ip.groupby(["person_id", "diagnosis"])["discharge_date"].shift()
    quick = (ip["admit_date"] - prev).dt.days.between(0, 15) & (ip["month"] == 0)
    cur = ip[ip["month"] == 0]
    return (
        pd.DataFrame(
            {
                "readmissions_15d": quick.groupby(ip["person_id"]).sum(),
                "inpatient_days": cur.groupby("person_id")["los"].sum(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def cadence(h: History, ids: pd.Index) -> pd.DataFrame:
    recent = h.claims[h.claims["month"].between(-2, 0)]
    first = recent.groupby(["person_id", "provider_id", "month"])["day"].min().dt.day.rename("dom").reset_index()
    per = first.groupby(["person_id", "provider_id"])["dom"].agg(["size", "min", "max"])
    regular = (per["size"] == 3) & (per["max"] - per["min"] <= 2)
    return pd.DataFrame({"regular_cadence": regular.groupby(level=0).max().astype(float)}).reindex(ids).fillna(0.0)


def demographics(h: History, ids: pd.Index) -> pd.DataFrame:
    p = h.insured.reindex(ids)
    return pd.DataFrame(
        {
            "age": ((h.end - p["birth_date"]).dt.days / 365.25).round(1),
            "female": (p["sex"] == "F").astype(float),
            "employee": (p["scheme"] == "employee").astype(float),
        },
        index=ids,
    )


def exposure(h: History, ids: pd.Index, risky_providers: pd.Index) -> pd.DataFrame:
    cur = h.current
    risky = cur["provider_id"].isin(risky_providers)
    return pd.DataFrame({"high_risk_provider_share": risky.groupby(cur["person_id"]).mean()}).reindex(ids).fillna(0.0)


def person_measures(h: History, risky_providers: pd.Index) -> pd.DataFrame:
    """One row per person with claims settled in the period, every measure of MEASURES."""
    ids = pd.Index(np.sort(h.current["person_id"].unique()), name="person_id")
    parts = [f(h, ids) for f in (activity, drugs, stays, cadence, demographics)]
    table = pd.concat(parts + [exposure(h, ids, risky_providers)], axis=1)
    return table[[m.name for m in MEASURES]].astype(float)
