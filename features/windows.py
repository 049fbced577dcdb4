"""Measures over the look-back windows (the last 3 and 12 months, the period included).

A pattern that shows over a year can be quiet in one month, and an entity's volume over a year
is the first thing a supervisor sorts by; both need the look-back. These measures read only the
claims of the window (no claim lines), so they are cheap at any scale, and, like every feature,
only claims settled before the period's end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.history import History
from features.schema import Measure

WINDOWS = (3, 12)

_PROVIDER_BASES = [
    ("n_claims", "settlements", "结算笔数", "claims", ("volume_vs_size",)),
    ("n_persons", "distinct patients", "就诊人数", "persons", ("volume_vs_size", "phantom_swipes")),
    ("fund_paid", "fund paid", "统筹基金支付", "yuan", ("volume_vs_size",)),
    ("cost_per_claim", "cost per settlement", "次均费用", "yuan", ("over_price", "over_testing")),
    ("n_stays", "inpatient stays", "住院人次", "stays", ("ghost_stay", "split_admission")),
    ("cost_per_stay", "cost per inpatient stay", "住院次均费用", "yuan", ("unbundling", "drg_upcoding")),
    ("los_mean", "mean length of stay", "平均住院日", "days", ("ghost_stay",)),
    ("claims_per_person", "settlements per patient", "人均结算次数", "claims", ("phantom_swipes", "split_admission")),
    ("n_doctors", "distinct doctors billing", "开单医师数", "doctors", ()),
    ("n_diagnoses", "distinct diagnoses", "诊断种类数", "diagnoses", ("upcoding",)),
    (
        "fund_per_staff",
        "fund paid per licensed doctor or pharmacist",
        "每名执业医(药)师统筹支付",
        "yuan/person",
        ("volume_vs_size",),
    ),
    ("night_share", "share of settlements between 22:00 and 06:00", "夜间结算占比", "share", ("phantom_swipes",)),
    ("months_active", "months with settlements", "有结算的月数", "months", ()),
]
_PERSON_BASES = [
    ("n_claims", "settlements", "结算笔数", "claims", ("card_misuse", "drug_resale")),
    ("fund_paid", "fund paid", "统筹基金支付", "yuan", ()),
    ("n_providers", "distinct providers used", "就诊机构数", "providers", ("card_misuse", "drug_resale")),
    ("n_stays", "inpatient stays", "住院次数", "stays", ("split_admission", "group_admission")),
    ("months_active", "months with settlements", "有结算的月数", "months", ("phantom_swipes",)),
]


def _measures(bases) -> list[Measure]:
    return [
        Measure(f"{name}_{w}m", f"{en} over the last {w} months", f"近{w}个月{zh}", unit, patterns)
        for w in WINDOWS
        for name, en, zh, unit, patterns in bases
    ]


PROVIDER_MEASURES: list[Measure] = _measures(_PROVIDER_BASES)
PERSON_MEASURES: list[Measure] = _measures(_PERSON_BASES)


def _window(h: History, months: int) -> pd.DataFrame:
    return h.claims[h.claims["month"] > -months]


def _safe(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).fillna(0.0)


def _provider_window(h: History, ids: pd.Index, months: int) -> pd.DataFrame:
    c = _window(h, months)
    g = c.groupby("provider_id")
    stays = (
        c[c["setting"] == "inpatient"]
        .groupby("provider_id")
        .agg(n=("los", "size"), cost=("total_amount", "sum"), los=("los", "mean"))
    )
    n_claims = g.size().reindex(ids, fill_value=0).astype(float)
    n_persons = g["person_id"].nunique().reindex(ids, fill_value=0).astype(float)
    fund = g["fund_paid"].sum().reindex(ids, fill_value=0.0)
    staff = h.providers["staff"].reindex(ids).astype("float64").fillna(0.0).clip(lower=1)
    stays = stays.reindex(ids, fill_value=0)
    out = pd.DataFrame(
        {
            "n_claims": n_claims,
            "n_persons": n_persons,
            "fund_paid": fund,
            "cost_per_claim": _safe(g["total_amount"].sum().reindex(ids, fill_value=0.0), n_claims),
            "n_stays": stays["n"].astype(float),
            "cost_per_stay": _safe(stays["cost"].astype(float), stays["n"]),
            "los_mean": stays["los"].astype(float),
            "claims_per_person": _safe(n_claims, n_persons),
            "n_doctors": g["doctor_id"].nunique().reindex(ids, fill_value=0).astype(float),
            "n_diagnoses": g["diagnosis"].nunique().reindex(ids, fill_value=0).astype(float),
            "fund_per_staff": fund / staff,
            "night_share": g["night"].mean().reindex(ids, fill_value=0.0),
            "months_active": g["month"].nunique().reindex(ids, fill_value=0).astype(float),
        },
        index=ids,
    )
    return out.add_suffix(f"_{months}m")


def _person_window(h: History, ids: pd.Index, months: int) -> pd.DataFrame:
    c = _window(h, months)
    c = c[c["person_id"].isin(ids)]
    g = c.groupby("person_id")
    out = (
        pd.DataFrame(
            {
                "n_claims": g.size(),
                "fund_paid": g["fund_paid"].sum(),
                "n_providers": g["provider_id"].nunique(),
                "n_stays": (c["setting"] == "inpatient").groupby(c["person_id"]).sum(),
                "months_active": g["month"].nunique(),
            }
        )
        .reindex(ids)
        .fillna(0.0)
        .astype(float)
    )
    return out.add_suffix(f"_{months}m")


def provider_windows(h: History, ids: pd.Index) -> pd.DataFrame:
    """Every provider window measure, one row per provider of `ids`."""
    table = pd.concat([_provider_window(h, ids, w) for w in WINDOWS], axis=1)
    return table[[m.name for m in PROVIDER_MEASURES]].astype(np.float64)


def person_windows(h: History, ids: pd.Index) -> pd.DataFrame:
    """Every person window measure, one row per person of `ids`."""
    table = pd.concat([_person_window(h, ids, w) for w in WINDOWS], axis=1)
    return table[[m.name for m in PERSON_MEASURES]].astype(np.float64)
