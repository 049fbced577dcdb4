"""Scales, designated providers and insured persons of one synthetic pooling region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# provider kinds (hidden from the output; the contract sees type/level/ownership)
KINDS = ("H3", "H2", "H1", "HP", "CPUB", "CPRIV", "PH")
TYPE_OF = {
    "H3": "hospital",
    "H2": "hospital",
    "H1": "hospital",
    "HP": "hospital",
    "CPUB": "clinic",
    "CPRIV": "clinic",
    "PH": "pharmacy",
}
CITY_PREFIX = "3301"
DISTRICTS = [f"{CITY_PREFIX}{k:02d}" for k in (2, 3, 4, 5, 6, 8, 9, 10)]
OTHER_CITIES = ["330201", "510104", "440106"]  # home regions of out-of-area patients


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    months: int
    districts: int
    kinds: dict[str, int]


SCALES = {
    "tiny": Scale("tiny", 3_000, 6, 2, {"H3": 1, "H2": 2, "H1": 4, "HP": 3, "CPUB": 8, "CPRIV": 6, "PH": 16}),
    "small": Scale("small", 30_000, 13, 4, {"H3": 2, "H2": 6, "H1": 18, "HP": 12, "CPUB": 55, "CPRIV": 30, "PH": 177}),
    "city": Scale("city", 200_000, 12, 8, {"H3": 3, "H2": 12, "H1": 40, "HP": 25, "CPUB": 110, "CPRIV": 60, "PH": 350}),
}


@dataclass(frozen=True)
class Providers:
    id: np.ndarray
    kind: np.ndarray
    ptype: np.ndarray
    level: np.ndarray  # float with nan for pharmacies
    ownership: np.ndarray
    region: np.ndarray  # district index
    beds: np.ndarray
    staff: np.ndarray
    contract_start: np.ndarray  # datetime64[D]
    weight: np.ndarray  # honest attraction (visits)
    service_factor: np.ndarray  # local price list: multiple of the reference price for services
    drug_factor: np.ndarray
    night_share: np.ndarray  # honest share of settlements outside 8:00-20:00
    lookalike: np.ndarray  # honest look-alike kind ('' for none): 24h pharmacy, busy clinic

    @property
    def n(self) -> int:
        return len(self.id)


def _ranged(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, n)


_SIZE = {  # beds range, staff range, attraction per staff member
    "H3": ((1500, 3000), (700, 1300)),
    "H2": ((400, 900), (150, 350)),
    "H1": ((40, 150), (20, 50)),
    "HP": ((30, 120), (12, 40)),
    "CPUB": ((0, 30), (3, 15)),
    "CPRIV": ((0, 0), (2, 8)),
    "PH": ((0, 0), (1, 5)),
}
_SERVICE_FACTOR = {"H3": 1.0, "H2": 0.9, "H1": 0.8, "HP": 0.85, "CPUB": 0.75, "CPRIV": 0.8, "PH": 1.0}


def build_providers(scale: Scale, rng: np.random.Generator, start: np.datetime64) -> Providers:
    kinds = np.concatenate([[k] * scale.kinds[k] for k in KINDS])
    n = len(kinds)
    prefix = {"hospital": "H", "clinic": "C", "pharmacy": "Y"}
    ptype = np.array([TYPE_OF[k] for k in kinds])
    ids = np.array([f"{prefix[t]}{i + 1:05d}" for i, t in enumerate(ptype)])
    level = np.array([{"H3": 3, "H2": 2, "H1": 1, "CPUB": 1, "CPRIV": 1}.get(k, np.nan) for k in kinds], dtype=float)
    hp = kinds == "HP"
    level[hp] = np.where(rng.random(hp.sum()) < 0.3, 2, 1)
    ownership = np.where(
        np.isin(kinds, ["HP", "CPRIV"]) | ((kinds == "PH") & (rng.random(n) < 0.8)), "private", "public"
    )
    # the big hospitals sit in the central districts; everything else spreads out
    region = rng.integers(0, scale.districts, n)
    region[np.isin(kinds, ["H3"])] = np.arange((kinds == "H3").sum()) % min(2, scale.districts)
    beds = np.zeros(n, dtype=np.int64)
    staff = np.zeros(n, dtype=np.int64)
    for k in KINDS:
        m = kinds == k
        (b0, b1), (s0, s1) = _SIZE[k]
        beds[m] = _ranged(rng, m.sum(), b0, b1)
        staff[m] = _ranged(rng, m.sum(), s0, s1)
    cpub = kinds == "CPUB"
    beds[cpub & (rng.random(n) < 0.6)] = 0  # most community stations have no beds
    days_before = rng.integers(60, 20 * 365, n)
    contract_start = start - days_before.astype("timedelta64[D]")
    weight = staff.astype(float) * np.exp(rng.normal(0, 0.3, n))
    service_factor = np.array([_SERVICE_FACTOR[k] for k in kinds]) * np.where(ownership == "private", 1.05, 1.0)
    drug_factor = np.where(kinds == "PH", rng.uniform(0.92, 1.05, n), 1.0)
    night = np.select([kinds == "H3", kinds == "H2", kinds == "PH"], [0.10, 0.07, 0.03], 0.01)
    lookalike = np.full(n, "", dtype=object)
    all_night = (kinds == "PH") & (rng.random(n) < 0.10)
    night[all_night] = 0.30
    lookalike[all_night] = "24h_pharmacy"
    busy = np.isin(kinds, ["CPUB", "CPRIV"]) & (rng.random(n) < 0.08)
    weight[busy] *= 3.0
    lookalike[busy] = "busy_clinic"
    return Providers(
        ids,
        kinds,
        ptype,
        level,
        ownership,
        region,
        beds,
        staff,
        contract_start,
        weight,
        service_factor,
        drug_factor,
        night,
        lookalike,
    )


@dataclass(frozen=True)
class Persons:
    id: np.ndarray
    female: np.ndarray  # bool
    birth: np.ndarray  # datetime64[D]
    age: np.ndarray  # int, at start
    employee: np.ndarray  # bool (职工) else resident (居民)
    region: np.ndarray  # district index, or -1 - k for other city k
    chronic: np.ndarray  # bool: hypertension / diabetes patients with regular refills
    util: np.ndarray  # individual utilisation multiplier
    home_clinic: np.ndarray  # provider index of the usual primary-care provider
    home_pharmacy: np.ndarray  # provider index of the usual pharmacy

    @property
    def n(self) -> int:
        return len(self.id)

    @property
    def out_of_area(self) -> np.ndarray:
        return self.region < 0


def _nearest_of_kind(rng, districts, prov: Providers, kinds: list[str], weight_pow=1.0) -> np.ndarray:
    """For each district in `districts`, pick a provider of `kinds` there (any district if none)."""
    out = np.empty(len(districts), dtype=np.int64)
    cand_all = np.flatnonzero(np.isin(prov.kind, kinds))
    for d in np.unique(districts):
        sel = districts == d
        cand = cand_all[prov.region[cand_all] == d]
        cand = cand if len(cand) else cand_all
        w = prov.weight[cand] ** weight_pow
        out[sel] = rng.choice(cand, sel.sum(), p=w / w.sum())
    return out


def build_persons(scale: Scale, prov: Providers, rng: np.random.Generator, start: np.datetime64) -> Persons:
    n = scale.persons
    ids = np.array([f"P{i + 1:08d}" for i in range(n)])
    female = rng.random(n) < 0.505
    age = np.clip(np.round(rng.normal(42, 21, n)), 0, 96).astype(np.int64)
    birth = start - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")
    employee = (age >= 18) & (age <= 75) & (rng.random(n) < np.where(age >= 60, 0.32, 0.40))
    region = rng.integers(0, scale.districts, n)
    other = rng.random(n) < 0.025
    region[other] = -1 - rng.integers(0, len(OTHER_CITIES), other.sum())
    chronic = rng.random(n) < np.clip((age - 30) / 100, 0.0, 0.45)
    util = rng.gamma(2.0, 0.5, n)
    home_district = np.where(region >= 0, region, 0)
    home_clinic = _nearest_of_kind(rng, home_district, prov, ["CPUB", "CPRIV", "H1"])
    home_pharmacy = _nearest_of_kind(rng, home_district, prov, ["PH"])
    return Persons(ids, female, birth, age, employee, region, chronic, util, home_clinic, home_pharmacy)


def region_codes(region_idx: np.ndarray) -> np.ndarray:
    """District index -> 6-digit region code; negative = another city's code."""
    codes = np.array(DISTRICTS + OTHER_CITIES[::-1])
    return codes[np.where(region_idx >= 0, region_idx, len(DISTRICTS) + len(OTHER_CITIES) + region_idx)]
