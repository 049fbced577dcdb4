"""One month of honest care for the whole population, plus the honest look-alikes."""

from __future__ import annotations

import numpy as np

from synthetic.catalog import DIAGNOSES, DRGS
from synthetic.encounters import Batch, World, add_lines, day_seconds, inpatient, outpatient, pharmacy, price_of

OP_KIND_P = {"H3": 0.26, "H2": 0.24, "H1": 0.18, "HP": 0.08, "CPUB": 0.14, "CPRIV": 0.10}
IP_KIND_P = {"H3": 0.36, "H2": 0.34, "H1": 0.18, "HP": 0.10, "CPUB": 0.02}
DRG_WEIGHT = {
    "ES31": 20,
    "BR23": 10,
    "FR41": 4,
    "FR31": 6,
    "KS13": 8,
    "GS13": 6,
    "GC19": 5,
    "IC29": 3,
    "ER15": 4,
    "LR11": 4,
    "OB29": 8,
    "GZ13": 6,
    "IZ29": 6,
}
LOS_LEVEL = {"H3": 1.1, "H2": 1.0, "H1": 0.9, "HP": 1.0, "CPUB": 0.8}


def month_days(month_start: np.datetime64) -> np.ndarray:
    """Day numbers (since epoch) of the month's days."""
    end = (month_start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return np.arange(month_start.astype(np.int64), end.astype(np.int64))


def pick_days(rng, days: np.ndarray, n: int, weekend=0.55) -> np.ndarray:
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(weekday >= 5, weekend, 1.0)
    return rng.choice(days, n, p=w / w.sum())


def choose_provider(rng, world: World, district: np.ndarray, kind: np.ndarray, own=0.75, by_beds=False) -> np.ndarray:
    """A provider of the given kind for each visit, usually in the person's own district."""
    prov = world.prov
    out = np.full(len(kind), -1, dtype=np.int64)
    local = rng.random(len(kind)) < own
    weight = np.where(prov.beds > 0, prov.beds, 0).astype(float) if by_beds else prov.weight
    for k in np.unique(kind):
        cand_k = np.flatnonzero((prov.kind == k) & (weight > 0))
        for d in np.unique(district[kind == k]):
            for is_local in (True, False):
                sel = (kind == k) & (district == d) & (local == is_local)
                if not sel.any():
                    continue
                cand = cand_k[prov.region[cand_k] == d] if is_local else cand_k
                cand = cand if len(cand) else cand_k
                w = weight[cand]
                out[sel] = rng.choice(cand, sel.sum(), p=w / w.sum())
    return out


def diagnoses_for(rng, world: World, person: np.ndarray, season: float) -> np.ndarray:
    pers = world.pers
    out = np.empty(len(person), dtype=np.int64)
    base = np.array([d[4] for d in DIAGNOSES]) * np.where([d[1] == "resp" for d in DIAGNOSES], season**1.5, 1.0)
    female, age = pers.female[person], pers.age[person]
    band = np.digitize(age, [18, 45, 60])
    for f in (False, True):
        for b in range(4):
            sel = (female == f) & (band == b)
            if not sel.any():
                continue
            age_lo = [0, 18, 45, 60][b]
            ok = [(d[2] is None or (d[2] == "F") == f) and d[3] <= age_lo + 1 for d in DIAGNOSES]
            w = base * np.array(ok)
            out[sel] = rng.choice(len(DIAGNOSES), sel.sum(), p=w / w.sum())
    chronic = pers.chronic[person] & (rng.random(len(person)) < 0.55)
    out[chronic] = rng.choice([3, 4], chronic.sum(), p=[0.6, 0.4])  # I10, E11.9
    return out


def outpatient_month(rng, world: World, days: np.ndarray, season: float) -> Batch:
    pers = world.pers
    mult = (
        np.where(pers.employee, 1.25, 0.85)
        * np.where(pers.chronic, 1.5, 1.0)
        * np.where((pers.age < 7) | (pers.age >= 60), 1.3, 1.0)
        * np.where(pers.out_of_area, 0.5, 1.0)
    )
    n = rng.poisson(0.6 * mult * pers.util * (0.8 + 0.2 * season))
    person = np.repeat(np.arange(pers.n), n)
    district = np.maximum(pers.region[person], 0)
    kinds = np.array(list(OP_KIND_P))
    kind = rng.choice(kinds, len(person), p=np.array(list(OP_KIND_P.values())))
    oa = pers.out_of_area[person]
    kind[oa] = np.where(rng.random(oa.sum()) < 0.6, "H3", "H2")
    provider = choose_provider(rng, world, district, kind)
    home = ~oa & (rng.random(len(person)) < np.where(pers.chronic[person], 0.6, 0.4))
    provider[home] = pers.home_clinic[person[home]]
    day = pick_days(rng, days, len(person))
    seconds = day_seconds(rng, len(person), world.prov.night_share[provider])
    return outpatient(rng, world, person, provider, day, seconds, diagnoses_for(rng, world, person, season))


def pharmacy_month(rng, world: World, days: np.ndarray) -> Batch:
    pers = world.pers
    lam = 0.42 * np.where(pers.chronic, 2.2, 1.0) * np.sqrt(pers.util) * np.where(pers.employee, 1.3, 1.0)
    lam = lam * np.where(pers.out_of_area, 0.1, 1.0)
    n = rng.poisson(lam)
    person = np.repeat(np.arange(pers.n), n)
    provider = choose_provider(rng, world, np.maximum(pers.region[person], 0), np.full(len(person), "PH"), own=0.85)
    home = rng.random(len(person)) < 0.7
    provider[home] = pers.home_pharmacy[person[home]]
    day = pick_days(rng, days, len(person), weekend=0.9)
    seconds = day_seconds(rng, len(person), world.prov.night_share[provider], open_hours=(8.0, 21.0))
    return pharmacy(rng, world, person, provider, day, seconds)


def pick_drg(rng, world: World, person: np.ndarray) -> np.ndarray:
    pers = world.pers
    out = np.empty(len(person), dtype=np.int64)
    base = np.array([DRG_WEIGHT[d[0]] for d in DRGS], dtype=float)
    band = np.digitize(pers.age[person], [5, 20, 30, 40, 45, 50])
    for f in (False, True):
        for b in range(7):
            sel = (pers.female[person] == f) & (band == b)
            if not sel.any():
                continue
            lo = [0, 5, 20, 30, 40, 45, 50][b]
            ok = np.array(
                [
                    d[6] <= lo and (d[7] is None or (d[7] == "F") == f) and not (d[0] == "OB29" and lo >= 45)
                    for d in DRGS
                ]
            )
            out[sel] = rng.choice(len(DRGS), sel.sum(), p=base * ok / (base * ok).sum())
    return out


def stay_length(rng, world: World, drg: np.ndarray, provider: np.ndarray) -> np.ndarray:
    level = np.vectorize(LOS_LEVEL.get)(world.prov.kind[provider]) if len(provider) else np.ones(0)
    mean = world.drg_los[drg] * level
    return np.maximum(1, np.round(np.exp(rng.normal(np.log(mean), 0.4)))).astype(np.int64)


def inpatient_month(rng, world: World, days: np.ndarray, season: float) -> Batch:
    pers = world.pers
    age = pers.age
    lam = 0.011 * np.select([age >= 65, age >= 45, age < 5], [3.0, 1.5, 1.5], 1.0) * np.sqrt(pers.util)
    n = rng.poisson(lam * (0.9 + 0.1 * season))
    person = np.repeat(np.arange(pers.n), n)
    drg = pick_drg(rng, world, person)
    kind = rng.choice(np.array(list(IP_KIND_P)), len(person), p=np.array(list(IP_KIND_P.values())))
    heavy = (world.drg_weight[drg] >= 1.8) & (rng.random(len(person)) < 0.7)
    kind[heavy | pers.out_of_area[person]] = "H3"
    provider = choose_provider(rng, world, np.maximum(pers.region[person], 0), kind, by_beds=True)
    admit = rng.choice(days, len(person))
    return inpatient(rng, world, person, provider, admit, drg, stay_length(rng, world, drg, provider))


def outbreak(rng, world: World, days: np.ndarray) -> tuple[Batch, int, int]:
    """An honest crowd: a secondary hospital admits 25-40 gastroenteritis cases on one day."""
    h2 = np.flatnonzero(world.prov.kind == "H2")
    provider = int(rng.choice(h2))
    locals_ = np.flatnonzero(world.pers.region == world.prov.region[provider])
    person = rng.choice(locals_, int(rng.integers(25, 41)), replace=False)
    day = int(rng.choice(days[:-5]))
    drg = np.full(len(person), list(world.drg_code).index("GZ13"))
    los = rng.integers(2, 5, len(person))
    return (
        inpatient(rng, world, person, np.full(len(person), provider), np.full(len(person), day), drg, los),
        provider,
        day,
    )


def entry_errors(rng, world: World, batch: Batch) -> Batch:
    """Rare honest data-entry slips: a wrong-sex item, a price typo, a line keyed twice."""
    cat = world.cat
    n_lines = len(batch.item)
    typo = rng.random(n_lines) < 1e-4
    batch.price[typo] = batch.price[typo] * 10
    slip = np.flatnonzero((batch.setting == 0) & (rng.random(batch.n_claims) < 3e-4))
    female = world.pers.female[batch.person[slip]]
    wrong = np.where(female, cat.idx("S0073"), cat.idx("S0070"))
    dup = np.flatnonzero(rng.random(n_lines) < 1e-4)
    add_lines(batch, slip, wrong, np.ones(len(slip)), price_of(world, batch.provider[slip], wrong), batch.admit[slip])
    add_lines(batch, batch.line_claim[dup], batch.item[dup], batch.qty[dup], batch.price[dup], batch.day[dup])
    return batch
