"""Provider-level measures of one period, from the claim history as of its cut-off.

Every function works on any set of providers that comes with all of their claims, so the same
code runs on one machine or shard by shard (providers hashed into partitions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.history import History
from features.schema import Measure

M = Measure
MEASURES: list[Measure] = [
    M("n_claims", "settlements in the month", "当月结算笔数", "claims", ("volume_vs_size",)),
    M("n_persons", "distinct patients in the month", "当月就诊人数", "persons", ("volume_vs_size",)),
    M("fund_paid", "fund paid in the month", "当月统筹基金支付", "yuan", ("volume_vs_size",)),
    M(
        "fund_growth",
        "fund paid against the average of the 3 months before (log ratio)",
        "统筹支付较前3个月均值的增长(对数比)",
        "log ratio",
        ("volume_vs_size",),
    ),
    M("cost_per_visit", "cost per outpatient visit", "门诊次均费用", "yuan", ("over_price", "over_testing")),
    M("cost_per_stay", "cost per inpatient stay", "住院次均费用", "yuan", ("unbundling", "over_testing")),
    M("cost_per_bed_day", "cost per bed-day", "床日费用", "yuan", ("ghost_stay",)),
    M("fund_per_bed", "fund paid per approved bed", "每张核定床位统筹支付", "yuan/bed", ("volume_vs_size",)),
    M(
        "fund_per_staff",
        "fund paid per licensed doctor or pharmacist",
        "每名执业医(药)师统筹支付",
        "yuan/person",
        ("volume_vs_size",),
    ),
    M(
        "claims_per_staff_day",
        "settlements per staff member per day",
        "每名医(药)师日均结算笔数",
        "claims/day",
        ("volume_vs_size", "phantom_swipes"),
    ),
    M("drug_share", "share of the amount spent on drugs", "药品费用占比", "share", ("drug_swap",)),
    M(
        "service_share",
        "share of the amount spent on services and tests",
        "诊疗项目费用占比",
        "share",
        ("over_testing",),
    ),
    M("material_share", "share of the amount spent on materials", "耗材费用占比", "share", ()),
    M("los_mean", "mean length of stay", "平均住院日", "days", ("ghost_stay", "split_admission")),
    M("short_stay_share", "share of stays of 2 days or less", "住院2天及以下占比", "share", ("split_admission",)),
    M(
        "night_share",
        "share of settlements between 22:00 and 06:00",
        "夜间(22-6时)结算占比",
        "share",
        ("phantom_swipes",),
    ),
    M(
        "off_hours_share",
        "share of settlements outside opening hours (before 7:00, lunch, after 19:00)",
        "非工作时间结算占比",
        "share",
        ("phantom_swipes",),
    ),
    M("weekend_share", "share of settlements on weekends", "周末结算占比", "share", ("phantom_swipes",)),
    M(
        "identical_amount_max",
        "most claims with the identical amount on one day",
        "同日同金额结算最多笔数",
        "claims",
        ("identical_amounts",),
    ),
    M(
        "identical_amount_share",
        "share of claims in groups of 5+ with the same amount on one day",
        "同日同金额(5笔以上)结算占比",
        "share",
        ("identical_amounts",),
    ),
    M(
        "round_amount_share",
        "share of claims with a round total (a multiple of 50 yuan)",
        "整数金额(50元倍数)结算占比",
        "share",
        ("drug_swap",),
    ),
    M(
        "repeat_person_share",
        "share of patients also seen in each of the 2 months before",
        "连续3个月就诊的人员占比",
        "share",
        ("phantom_swipes",),
    ),
    M(
        "regular_cadence_share",
        "share of patients seen on the same day of the month 3 months running",
        "连续3个月同一日期就诊的人员占比",
        "share",
        ("phantom_swipes",),
    ),
    M(
        "elderly_share",
        "share of patients aged 65 or more",
        "65岁以上患者占比",
        "share",
        ("group_admission", "ghost_stay"),
    ),
    M(
        "readmit15_rate",
        "share of stays readmitting the same person with the same diagnosis within 15 days",
        "15天内同诊断再入院占比",
        "share",
        ("split_admission",),
    ),
    M(
        "admission_cluster_max",
        "most admissions with the same diagnosis on one day",
        "同日同诊断入院最多人数",
        "admissions",
        ("group_admission",),
    ),
    M("stay_no_drug_share", "share of stays without any drug line", "无药品明细的住院占比", "share", ("ghost_stay",)),
    M(
        "drug_day_share",
        "share of bed-days with at least one drug line",
        "有用药记录的床日占比",
        "share",
        ("ghost_stay",),
    ),
    M(
        "price_ratio",
        "prices of services and materials against the catalogue reference price",
        "诊疗项目与耗材收费价格与目录参考价之比",
        "ratio",
        ("over_price",),
    ),
    M(
        "drug_hhi",
        "concentration of drug spending on few items (Herfindahl)",
        "药品费用集中度(HHI)",
        "0-1",
        ("drug_swap",),
    ),
    M(
        "lines_per_claim",
        "itemised lines per settlement",
        "每笔结算明细条数",
        "lines",
        ("over_testing", "duplicate_billing", "unbundling"),
    ),
    M("out_of_area_share", "share of settlements of out-of-area patients", "异地就医结算占比", "share", ()),
]


def _rate(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).fillna(0.0)


def volume(h: History, ids: pd.Index) -> pd.DataFrame:
    cur = h.current
    g = cur.groupby("provider_id")
    fund = g["fund_paid"].sum().reindex(ids, fill_value=0.0)
    prev = h.claims[h.claims["month"].between(-3, -1)].groupby("provider_id")["fund_paid"].sum() / 3
    prov = h.providers.reindex(ids)
    staff = prov["staff"].astype("float64").fillna(0.0).clip(lower=1)  # unknown or 0 staff: per provider
    beds = prov["beds"].astype("float64").fillna(0.0)
    n_claims = g.size().reindex(ids, fill_value=0)
    return pd.DataFrame(
        {
            "n_claims": n_claims,
            "n_persons": g["person_id"].nunique().reindex(ids, fill_value=0),
            "fund_paid": fund,
            "fund_growth": np.log((fund + 100) / (prev.reindex(ids, fill_value=0.0) + 100)),
            "fund_per_bed": _rate(fund, beds),
            "fund_per_staff": fund / staff,
            "claims_per_staff_day": n_claims / staff / h.days,
            "out_of_area_share": g["out_of_area"].mean().reindex(ids, fill_value=0.0),
        },
        index=ids,
    )


def costs(h: History, ids: pd.Index) -> pd.DataFrame:
    cur = h.current
    op = cur[cur["setting"] == "outpatient"].groupby("provider_id")["total_amount"].agg(["sum", "size"])
    ip = (
        cur[cur["setting"] == "inpatient"]
        .groupby("provider_id")
        .agg(
            total=("total_amount", "sum"),
            stays=("total_amount", "size"),
            bed_days=("los", "sum"),
            los_mean=("los", "mean"),
            short=("los", lambda s: (s <= 2).mean()),
        )
    )
    op, ip = op.reindex(ids, fill_value=0), ip.reindex(ids, fill_value=0)
    by_type = h.items.pivot_table(
        index="provider_id", columns="item_type", values="amount", aggfunc="sum", fill_value=0.0
    ).reindex(ids, fill_value=0.0)
    spent = by_type.sum(axis=1)
    share = {
        f"{t}_share": _rate(by_type[t] if t in by_type else spent * 0, spent) for t in ("drug", "service", "material")
    }
    return pd.DataFrame(
        {
            "cost_per_visit": _rate(op["sum"], op["size"]),
            "cost_per_stay": _rate(ip["total"], ip["stays"]),
            "cost_per_bed_day": _rate(ip["total"], ip["bed_days"]),
            "los_mean": ip["los_mean"].astype(float),
            "short_stay_share": ip["short"].astype(float),
            **share,
        },
        index=ids,
    )


def timing_and_amounts(h: History, ids: pd.Index) -> pd.DataFrame:
    cur = h.current
    g = cur.groupby("provider_id")
    same = cur.groupby(["provider_id", "day", "total_amount"])["claim_id"].transform("size")
    cents = (cur["total_amount"] * 100).round().astype("int64")
    round_total = (cents >= 5000) & (cents % 5000 == 0)
    return (
        pd.DataFrame(
            {
                "night_share": g["night"].mean(),
                "off_hours_share": g["off_hours"].mean(),
                "weekend_share": g["weekend"].mean(),
                "identical_amount_max": same.groupby(cur["provider_id"]).max().astype(float),
                "identical_amount_share": (same >= 5).groupby(cur["provider_id"]).mean(),
                "round_amount_share": round_total.groupby(cur["provider_id"]).mean(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def patients(h: History, ids: pd.Index) -> pd.DataFrame:
    """Repeat patients, fixed monthly cadence, and the age mix."""
    recent = h.claims[h.claims["month"].between(-2, 0)]
    first = recent.groupby(["provider_id", "person_id", "month"])["day"].min().reset_index()
    first["dom"] = first["day"].dt.day
    per = first.groupby(["provider_id", "person_id"]).agg(
        months=("month", "nunique"), lo=("dom", "min"), hi=("dom", "max"), now=("month", "max")
    )
    per = per[per["now"] == 0]
    steady = per["months"] == 3
    regular = steady & (per["hi"] - per["lo"] <= 2)
    by = per.index.get_level_values("provider_id")
    ages = (h.end - h.insured["birth_date"]).dt.days / 365.25
    cur = h.current.drop_duplicates(["provider_id", "person_id"])
    old = ages.reindex(cur["person_id"]).to_numpy() >= 65
    return (
        pd.DataFrame(
            {
                "repeat_person_share": steady.groupby(by).mean(),
                "regular_cadence_share": regular.groupby(by).mean(),
                "elderly_share": pd.Series(old, index=cur.index).groupby(cur["provider_id"]).mean(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def stays(h: History, ids: pd.Index) -> pd.DataFrame:
    """Readmissions, crowds of admissions, and bed-days without care."""
    ip = h.claims[h.claims["setting"] == "inpatient"].sort_values(["admit_date", "claim_id"])
    prev = ip.groupby(["provider_id", "person_id", "diagnosis"])["discharge_date"].shift()
    gap = (ip["admit_date"] - prev).dt.days
    now = ip["month"] == 0
    readmit = gap.between(0, 15)[now].groupby(ip.loc[now, "provider_id"]).mean()
    cur = ip[now]
    cluster = cur.groupby(["provider_id", "admit_date", "diagnosis"]).size().groupby(level=0).max()
    lines = h.items[h.items["setting"] == "inpatient"]
    drug_days = lines[lines["item_type"] == "drug"].groupby("claim_id")["service_date"].nunique()
    days_with_drug = drug_days.reindex(cur["claim_id"], fill_value=0).to_numpy()
    no_drug = pd.Series(days_with_drug == 0, index=cur.index)
    drug_day = pd.Series(days_with_drug / np.maximum(cur["los"].to_numpy(), 1), index=cur.index)
    return (
        pd.DataFrame(
            {
                "readmit15_rate": readmit,
                "admission_cluster_max": cluster.astype(float),
                "stay_no_drug_share": no_drug.groupby(cur["provider_id"]).mean(),
                "drug_day_share": drug_day.groupby(cur["provider_id"]).mean(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


def items_mix(h: History, ids: pd.Index) -> pd.DataFrame:
    it = h.items
    priced = it[it["item_type"] != "drug"]
    charged = priced["quantity"] * priced["unit_price"]
    reference = priced["quantity"] * priced["reference_price"]
    by = priced["provider_id"]
    drugs = it[it["item_type"] == "drug"]
    spend = drugs.groupby(["provider_id", "item_code"])["amount"].sum()
    shares = spend / spend.groupby(level=0).transform("sum")
    return (
        pd.DataFrame(
            {
                "price_ratio": _rate(charged.groupby(by).sum(), reference.groupby(by).sum()),
                "drug_hhi": (shares**2).groupby(level=0).sum(),
                "lines_per_claim": it.groupby("provider_id").size() / it.groupby("provider_id")["claim_id"].nunique(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
    )


PARTS = (volume, costs, timing_and_amounts, patients, stays, items_mix)


def provider_measures(h: History) -> pd.DataFrame:
    """One row per provider with claims settled in the look-back window (the period included: a
    provider quiet this month can still be the one to inspect), every measure of MEASURES."""
    ids = pd.Index(np.sort(h.claims["provider_id"].unique()), name="provider_id")
    table = pd.concat([part(h, ids) for part in PARTS], axis=1)
    return table[[m.name for m in MEASURES]].astype(float)
