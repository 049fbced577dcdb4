"""How each planted pattern shows up in one month of claims (DOMAIN.md §2 signatures).

Every scheme takes the month's honest batch, may alter claims of its own entities in place (tagging
them with the pattern number) and returns the claims it adds. Volumes scale with the entity's own
honest volume, so a small fraud can hide inside a big honest provider.
"""

from __future__ import annotations

import numpy as np

from synthetic.encounters import (
    DAY,
    INPATIENT,
    OUTPATIENT,
    Batch,
    World,
    add_lines,
    assemble,
    day_seconds,
    inpatient,
    outpatient,
    pharmacy,
    pick_doctor,
    price_of,
)
from synthetic.fraud import Plant
from synthetic.honest import diagnoses_for, pick_days

SWAP_DRUGS = ("X0001", "X0002", "X0003", "X0005", "X0007")
RESALE_DRUGS = ("X0023", "X0022", "X0027", "X0021")
BUNDLES = {
    "S0030": ("S0031", "S0032", "S0033", "S0034"),
    "S0045": ("S0046", "S0047", "S0048"),
    "S0050": ("S0051", "S0052", "S0053"),
}


def _locals(world: World, provider: int, old=False) -> np.ndarray:
    pers = world.pers
    sel = pers.region == world.prov.region[provider]
    if old:
        sel &= pers.age >= 60
    return np.flatnonzero(sel)


def _claims_at(honest: Batch, provider: int, setting: int | None = None) -> np.ndarray:
    sel = (honest.provider == provider) & (honest.tag == 0)
    if setting is not None:
        sel &= honest.setting == setting
    return np.flatnonzero(sel)


def _volume(honest: Batch, provider: int, intensity: float, factor=1.0, minimum=2) -> int:
    return max(minimum, int(round(intensity * factor * (honest.provider == provider).sum())))


def drug_swap(rng, world: World, e: int, x: float, days, honest: Batch) -> Batch:
    """#2: covered cheap drugs billed for daily goods, round totals, late in the month."""
    n = _volume(honest, e, x, minimum=5)
    cust = np.flatnonzero(world.pers.home_pharmacy == e)
    person = rng.choice(cust if len(cust) else _locals(world, e), n)
    w = np.where(days >= days[-7], 3.0, 1.0)
    day = rng.choice(days, n, p=w / w.sum())
    sec = day_seconds(rng, n, np.full(n, 0.05), open_hours=(8.0, 21.0))
    drug = np.array([world.cat.idx(c) for c in SWAP_DRUGS])[rng.integers(0, len(SWAP_DRUGS), n)]
    price = price_of(world, np.full(n, e), drug)
    k = rng.integers(2, 7, n)
    target = (np.ceil(k * price / 5000) + rng.integers(0, 3, n)) * 5000  # 50-yuan steps
    herbal = world.cat.idx("X0090")
    hprice = price_of(world, np.array([e]), np.array([herbal]))[0]
    grams = (target - k * price) / hprice
    idx = np.arange(n)
    claim = np.concatenate([idx, idx[grams > 0]])
    item = np.concatenate([drug, np.full((grams > 0).sum(), herbal)])
    qty = np.concatenate([k.astype(float), grams[grams > 0]])
    return assemble(
        world,
        person,
        np.full(n, e),
        np.full(n, -1),
        2,
        day,
        day,
        day * DAY + sec,
        np.full(n, -1),
        -1,
        2,
        claim,
        item,
        qty,
    )


def phantom_swipes(rng, world: World, e: int, x: float, days, honest: Batch, members: dict) -> Batch:
    """#4: cards held by the provider, swiped every month on a fixed day, off-hours."""
    if e not in members:
        size = max(5, int(round(x * len(np.unique(honest.person[honest.provider == e])))))
        pool = _locals(world, e, old=True)
        members[e] = np.sort(rng.choice(pool, min(size, len(pool)), replace=False))
    person = members[e]
    n = len(person)
    fixed = (np.asarray(person) * 7919) % 27  # each card's own day of the month
    day = days[np.minimum(fixed + rng.integers(0, 2, n), len(days) - 1)]
    hours = np.where(rng.random(n) < 0.5, rng.uniform(19.5, 23.0, n), rng.uniform(12.0, 13.5, n))
    sec = (hours * 3600).astype(np.int64)
    if world.prov.kind[e] == "PH":
        return pharmacy(rng, world, person, np.full(n, e), day, sec, tag=4)
    dx = np.where(rng.random(n) < 0.5, list(world.dx_code).index("Z00.0"), list(world.dx_code).index("I10"))
    return outpatient(rng, world, person, np.full(n, e), day, sec, dx, tag=4)


def identical_amounts(rng, world: World, e: int, x: float, days, honest: Batch) -> Batch:
    """#5: on a few days, many prescriptions with exactly the same items and total."""
    per_day = max(8, int(round(3 * x * (honest.provider == e).sum() / len(days))))
    n_days = int(rng.integers(2, 5))
    day = np.repeat(rng.choice(days, n_days, replace=False), per_day)
    n = len(day)
    person = rng.choice(_locals(world, e), n)
    basket = np.array([world.cat.idx(c) for c in ("S0002", "X0001", "X0004", "X0006")])
    qty = np.array([1.0, 2.0, 3.0, 2.0])
    idx = np.repeat(np.arange(n), len(basket))
    sec = day_seconds(rng, n, np.zeros(n))
    dx = np.full(n, list(world.dx_code).index("J06.9"))
    return assemble(
        world,
        person,
        np.full(n, e),
        pick_doctor(rng, world, np.full(n, e)),
        OUTPATIENT,
        day,
        day,
        day * DAY + sec,
        dx,
        -1,
        5,
        idx,
        np.tile(basket, n),
        np.tile(qty, n),
    )


def _tag_and_add(world, honest: Batch, claims: np.ndarray, items: np.ndarray, tag: int, qty=None) -> None:
    honest.tag[claims] = tag
    qty = np.ones(len(claims)) if qty is None else qty
    add_lines(honest, claims, items, qty, price_of(world, honest.provider[claims], items), honest.admit[claims])


def sex_mismatch(rng, world: World, e: int, x: float, days, honest: Batch) -> None:
    """#7: items restricted to the other sex billed on patients' claims."""
    claims = _claims_at(honest, e, OUTPATIENT)
    claims = claims[rng.random(len(claims)) < 0.5 * x]
    female = world.pers.female[honest.person[claims]]
    for_f = np.array([world.cat.idx(c) for c in ("S0073", "S0074", "X0062", "X0063")])
    for_m = np.array([world.cat.idx(c) for c in ("S0070", "S0071", "X0060", "X0061")])
    pick = rng.integers(0, 4, len(claims))
    _tag_and_add(world, honest, claims, np.where(female, for_f[pick], for_m[pick]), 7)


def unbundling(rng, world: World, e: int, x: float, days, honest: Batch) -> None:
    """#8: a package item billed as its components (each priced separately)."""
    for package, parts in BUNDLES.items():
        pk = world.cat.idx(package)
        lines = np.flatnonzero((honest.item == pk) & (honest.provider[honest.line_claim] == e))
        lines = lines[rng.random(len(lines)) < 0.4 + 0.6 * x]
        claims = honest.line_claim[lines]
        part_idx = np.array([world.cat.idx(c) for c in parts])
        honest.item[lines] = part_idx[0]
        honest.price[lines] = price_of(world, honest.provider[claims], honest.item[lines])
        rest = np.repeat(claims, len(parts) - 1)
        _tag_and_add(world, honest, rest, np.tile(part_idx[1:], len(claims)), 8)
        honest.tag[claims] = 8


def duplicate_billing(rng, world: World, e: int, x: float, days, honest: Batch) -> None:
    """#9: the same item billed twice on the same day of one claim."""
    claims = _claims_at(honest, e)
    claims = claims[rng.random(len(claims)) < 0.1 + 0.5 * x]
    chosen = np.isin(honest.line_claim, claims) & (world.cat.item_type[honest.item] != "drug")
    lines = np.flatnonzero(chosen)
    lines = lines[rng.random(len(lines)) < 0.5]
    honest.tag[honest.line_claim[lines]] = 9
    add_lines(
        honest, honest.line_claim[lines], honest.item[lines], honest.qty[lines], honest.price[lines], honest.day[lines]
    )


def over_price(rng, world: World, e: int, x: float, days, honest: Batch) -> None:
    """#10: services and materials charged above the local price list."""
    lines = np.flatnonzero((honest.provider[honest.line_claim] == e) & (world.cat.item_type[honest.item] != "drug"))
    lines = lines[rng.random(len(lines)) < 0.3 + 0.6 * x]
    honest.price[lines] = np.round(honest.price[lines] * rng.uniform(1.5, 2.2, len(lines))).astype(np.int64)
    honest.tag[honest.line_claim[lines]] = 10


def over_testing(rng, world: World, e: int, x: float, days, honest: Batch) -> None:
    """#12: the same test repeated within a day, redundant pairs, imaging on mild cases."""
    claims = _claims_at(honest, e, OUTPATIENT)
    claims = claims[rng.random(len(claims)) < 0.15 + 0.35 * x]
    tests = np.array([world.cat.idx(c) for c in ("S0025", "S0025", "S0026", "S0027")])
    items = np.tile(tests, len(claims))
    rep = np.repeat(claims, len(tests))
    ct = claims[rng.random(len(claims)) < 0.3]
    _tag_and_add(
        world, honest, np.concatenate([rep, ct]), np.concatenate([items, np.full(len(ct), world.cat.idx("S0044"))]), 12
    )


def ghost_stay(rng, world: World, e: int, x: float, days, honest: Batch) -> Batch:
    """#13: stays with only bed and nursing fees; the patients live their lives elsewhere."""
    stays = len(_claims_at(honest, e, INPATIENT))
    n = max(2, int(round(1.5 * x * stays)))
    person = rng.choice(_locals(world, e, old=True), n)
    drg = np.where(rng.random(n) < 0.5, list(world.drg_code).index("IZ29"), list(world.drg_code).index("KS13"))
    return inpatient(
        rng, world, person, np.full(n, e), rng.choice(days, n), drg, rng.integers(7, 21, n), tag=13, with_care=False
    )


def group_admission(rng, world: World, e: int, x: float, days, honest: Batch, members: dict) -> Batch:
    """#14: a ring of elderly persons admitted together with the same diagnosis and stay."""
    if e not in members:
        pool = _locals(world, e, old=True)
        members[e] = np.sort(rng.choice(pool, min(int(rng.integers(15, 41)), len(pool)), replace=False))
    ring = members[e]
    stays = len(_claims_at(honest, e, INPATIENT))
    batches = []
    for _ in range(rng.binomial(1 + int(x * stays / 15), 0.6)):
        person = rng.choice(ring, min(len(ring), int(rng.integers(8, 16))), replace=False)
        n = len(person)
        drg = np.full(n, list(world.drg_code).index(rng.choice(["IZ29", "BR23", "KS13"])))
        los = np.full(n, int(rng.integers(6, 11)))
        batches.append(inpatient(rng, world, person, np.full(n, e), np.full(n, rng.choice(days)), drg, los, tag=14))
    return Batch.concat(batches)


def split_admission(rng, world: World, e: int, x: float, days, honest: Batch) -> Batch:
    """#16: the same person readmitted with the same diagnosis days after discharge."""
    stays = _claims_at(honest, e, INPATIENT)
    stays = stays[(honest.discharge[stays] - honest.admit[stays] >= 4) & (rng.random(len(stays)) < 0.2 + 0.6 * x)]
    n = len(stays)
    if not n:
        return None
    drg = honest.drg[stays]
    admit = honest.discharge[stays] + rng.integers(2, 11, n)
    return inpatient(rng, world, honest.person[stays], np.full(n, e), admit, drg, rng.integers(2, 7, n), tag=16)


def volume_vs_size(rng, world: World, e: int, x: float, days, honest: Batch) -> Batch:
    """#20: far more visits than the provider's staff could see, on fabricated encounters."""
    n = _volume(honest, e, 1 + 3 * x, minimum=20)
    person = rng.choice(_locals(world, e), n)
    day = pick_days(rng, days, n)
    sec = day_seconds(rng, n, np.full(n, 0.02))
    return outpatient(rng, world, person, np.full(n, e), day, sec, diagnoses_for(rng, world, person, 1.0), tag=20)


def card_misuse(rng, world: World, people: np.ndarray, xs: np.ndarray, days, honest: Batch) -> Batch:
    """#1: a card used by someone else: two far-apart providers the same day, the other sex's care."""
    events = 1 + rng.poisson(2 * xs)
    person = np.repeat(np.repeat(people, events), 2)
    n = len(person)
    day = np.repeat(rng.choice(days, n // 2), 2)
    home = world.pers.region[person]
    far = np.flatnonzero(np.isin(world.prov.kind, ["CPRIV", "H1", "H2", "HP"]))
    provider = far[rng.integers(0, len(far), n)]
    again = world.prov.region[provider] == home
    provider[again] = far[rng.integers(0, len(far), again.sum())]
    male = ~world.pers.female[person]
    dx = np.full(n, list(world.dx_code).index("J06.9"))
    other_sex = male & (rng.random(n) < 0.6)
    dx[other_sex] = list(world.dx_code).index("N76.0")
    sec = day_seconds(rng, n, np.zeros(n))
    return outpatient(rng, world, person, provider, day, sec, dx, tag=1)


def drug_resale(rng, world: World, people: np.ndarray, xs: np.ndarray, days, honest: Batch) -> Batch:
    """#21: chronic drugs bought far beyond need across many pharmacies, for resale."""
    buys = rng.integers(3, 9, len(people)) + rng.poisson(4 * xs)
    person = np.repeat(people, buys)
    n = len(person)
    ph = np.flatnonzero(world.prov.kind == "PH")
    provider = ph[rng.integers(0, len(ph), n)]
    day = rng.choice(days, n)
    sec = day_seconds(rng, n, np.full(n, 0.05), open_hours=(8.0, 21.0))
    drugs = np.array([world.cat.idx(c) for c in RESALE_DRUGS])
    item = drugs[rng.integers(0, len(drugs), n)]
    qty = rng.integers(6, 16, n).astype(float)
    return assemble(
        world,
        person,
        provider,
        np.full(n, -1),
        2,
        day,
        day,
        day * DAY + sec,
        np.full(n, -1),
        -1,
        21,
        np.arange(n),
        item,
        qty,
    )


PROVIDER_SCHEMES = {
    2: drug_swap,
    5: identical_amounts,
    7: sex_mismatch,
    8: unbundling,
    9: duplicate_billing,
    10: over_price,
    12: over_testing,
    13: ghost_stay,
    16: split_admission,
    20: volume_vs_size,
}
GROUP_SCHEMES = {4: phantom_swipes, 14: group_admission}
PERSON_SCHEMES = {1: card_misuse, 21: drug_resale}


def plant_month(rng, world: World, plants: list[Plant], month: int, days, honest: Batch) -> list[Batch]:
    """Apply every active plant to this month; returns the added claims."""
    added = []
    for plant in plants:
        entities, xs = plant.active(month)
        if plant.pattern in PERSON_SCHEMES:
            if len(entities):
                added.append(PERSON_SCHEMES[plant.pattern](rng, world, entities, xs, days, honest))
            continue
        for e, x in zip(entities, xs):
            if plant.pattern in GROUP_SCHEMES:
                added.append(GROUP_SCHEMES[plant.pattern](rng, world, int(e), x, days, honest, plant.members))
            else:
                added.append(PROVIDER_SCHEMES[plant.pattern](rng, world, int(e), x, days, honest))
    return [b for b in added if b is not None]
