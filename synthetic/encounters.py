"""Vectorised building blocks for settlements: outpatient visits, inpatient stays, pharmacy buys.

A `Batch` holds claims and their lines as parallel numpy arrays (indices into the world's
providers, persons, catalogue, diagnoses); nothing here loops over claims.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from synthetic.catalog import DIAGNOSES, DRGS, Catalog
from synthetic.population import Persons, Providers

OUTPATIENT, INPATIENT, PHARMACY = 0, 1, 2
SETTINGS = np.array(["outpatient", "inpatient", "pharmacy"])
DAY = 86_400

DRUG_POOLS = {
    "resp": ["cold", "filler"],
    "chronic": ["chronic"],
    "gastro": ["gastro", "filler"],
    "physio": ["general", "filler"],
    "general": ["general", "cold", "filler"],
    "gyn": ["gyn", "filler"],
    "andro": ["andro", "filler"],
}
EXAM_POOLS = {
    "resp": ["lab_resp", "lab", "imaging"],
    "chronic": ["lab_diab", "lab_lipid", "lab"],
    "gastro": ["lab", "imaging"],
    "physio": ["physio"],
    "general": ["lab", "imaging", "imaging_ct", "lab_lipid"],
    "gyn": ["gyn"],
    "andro": ["andro"],
}
INFUSION = ("S0080", "M0002", "X0043", "X0040")  # an outpatient drip: service, set, saline, antibiotic
EXAM_RATE = {"H3": 1.3, "H2": 1.0, "H1": 0.6, "HP": 0.8, "CPUB": 0.3, "CPRIV": 0.3, "PH": 0.0}
_CLAIM_FIELDS = ("person", "provider", "doctor", "setting", "admit", "discharge", "settle", "dx", "drg", "tag")
_LINE_FIELDS = ("line_claim", "item", "qty", "price", "day")


@dataclass
class Batch:
    person: np.ndarray
    provider: np.ndarray
    doctor: np.ndarray  # -1 = none
    setting: np.ndarray
    admit: np.ndarray  # days since 1970-01-01
    discharge: np.ndarray
    settle: np.ndarray  # seconds since 1970-01-01
    dx: np.ndarray  # index into World.dx_code, -1 = none
    drg: np.ndarray  # index into World.drg_code, -1 = none
    tag: np.ndarray  # planted pattern number, 0 = honest
    line_claim: np.ndarray  # index of the line's claim within this batch
    item: np.ndarray
    qty: np.ndarray  # float
    price: np.ndarray  # unit price in fen (int)
    day: np.ndarray  # service date, days since epoch

    @property
    def n_claims(self) -> int:
        return len(self.person)

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        batches = [b for b in batches if b is not None and b.n_claims]
        if not batches:
            return empty_batch()
        offsets = np.cumsum([0] + [b.n_claims for b in batches[:-1]])
        out = {
            f: np.concatenate([getattr(b, f) for b in batches])
            for f in _CLAIM_FIELDS + _LINE_FIELDS
            if f != "line_claim"
        }
        out["line_claim"] = np.concatenate([b.line_claim + o for b, o in zip(batches, offsets)])
        return Batch(**out)

    def select(self, keep: np.ndarray) -> Batch:
        """Keep the claims where `keep` is true, with their lines."""
        new_index = np.cumsum(keep) - 1
        line_keep = keep[self.line_claim]
        out = {f: getattr(self, f)[keep] for f in _CLAIM_FIELDS}
        out.update({f: getattr(self, f)[line_keep] for f in _LINE_FIELDS})
        out["line_claim"] = new_index[self.line_claim[line_keep]]
        return Batch(**out)


def empty_batch() -> Batch:
    ints = {f: np.zeros(0, dtype=np.int64) for f in (f.name for f in fields(Batch))}
    ints["qty"] = np.zeros(0)
    return Batch(**ints)


@dataclass(frozen=True)
class World:
    cat: Catalog
    prov: Providers
    pers: Persons
    doctor_offset: np.ndarray
    doctor_ids: np.ndarray
    dx_code: np.ndarray
    dx_group: np.ndarray
    drg_code: np.ndarray
    drg_dx: np.ndarray  # index into dx_code
    drg_los: np.ndarray
    drg_weight: np.ndarray
    drg_surgery: np.ndarray  # catalogue index or -1
    pools: dict


def build_world(cat: Catalog, prov: Providers, pers: Persons) -> World:
    staff = np.where(prov.ptype == "pharmacy", 0, prov.staff)
    offset = np.concatenate([[0], np.cumsum(staff)[:-1]])
    doctor_ids = np.concatenate([[f"{pid}-D{k + 1:04d}" for k in range(s)] for pid, s in zip(prov.id, staff)])
    dx_code = [d[0] for d in DIAGNOSES]
    dx_group = [d[1] for d in DIAGNOSES]
    for drg in DRGS:
        if drg[1] not in dx_code:
            dx_code.append(drg[1])
            dx_group.append("inpatient")
    surgery = np.array([cat.idx(d[5]) if d[5] else -1 for d in DRGS])
    pools = {}
    for name, groups in {
        **{f"drug:{k}": v for k, v in DRUG_POOLS.items()},
        **{f"exam:{k}": v for k, v in EXAM_POOLS.items()},
    }.items():
        items = np.concatenate([cat.group_idx(g) for g in groups])
        w = np.where(cat.group[items] == "filler", 0.03, 1.0)
        pools[name] = (items, w / w.sum())
    return World(
        cat,
        prov,
        pers,
        offset,
        doctor_ids,
        np.array(dx_code),
        np.array(dx_group),
        np.array([d[0] for d in DRGS]),
        np.array([dx_code.index(d[1]) for d in DRGS]),
        np.array([d[3] for d in DRGS]),
        np.array([d[4] for d in DRGS]),
        surgery,
        pools,
    )


def price_of(world: World, provider: np.ndarray, item: np.ndarray) -> np.ndarray:
    """Local price list: services by hospital level, drugs at zero mark-up (pharmacies vary)."""
    is_drug = world.cat.item_type[item] == "drug"
    factor = np.where(is_drug, world.prov.drug_factor[provider], world.prov.service_factor[provider])
    factor = np.where(world.cat.group[item] == "herbal", 1.0, factor)  # herbs: one city-wide price
    return np.maximum(1, np.round(world.cat.ref_cents[item] * factor)).astype(np.int64)


def sample_pool(rng, world: World, pool_keys: np.ndarray) -> np.ndarray:
    """One catalogue item per entry of `pool_keys` (names of pools in world.pools)."""
    out = np.empty(len(pool_keys), dtype=np.int64)
    for key in np.unique(pool_keys):
        sel = pool_keys == key
        items, p = world.pools[key]
        out[sel] = rng.choice(items, sel.sum(), p=p)
    return out


def pick_doctor(rng, world: World, provider: np.ndarray) -> np.ndarray:
    staff = np.where(world.prov.ptype[provider] == "pharmacy", 0, world.prov.staff[provider])
    doc = world.doctor_offset[provider] + (rng.random(len(provider)) * np.maximum(staff, 1)).astype(np.int64)
    return np.where(staff > 0, doc, -1)


def day_seconds(rng, n: int, night_share: np.ndarray, open_hours=(7.5, 18.0)) -> np.ndarray:
    """Seconds after midnight: clinic hours with morning/afternoon peaks, some at night."""
    morning = rng.random(n) < 0.6
    hours = np.where(morning, rng.normal(9.8, 1.1, n), rng.normal(15.0, 1.0, n))
    hours = np.clip(hours, *open_hours)
    night = rng.random(n) < night_share
    hours = np.where(night, (20.0 + rng.random(n) * 11.0) % 24.0, hours)
    return (hours * 3600).astype(np.int64)


def _lines_for(claim_idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(claim_idx, counts)


def outpatient(rng, world: World, person, provider, day, seconds, dx, tag=0) -> Batch:
    """Outpatient visits: registration, consultation, drugs and tests fitting the diagnosis."""
    n = len(person)
    kinds = world.prov.kind[provider]
    group = world.dx_group[dx]
    idx = np.arange(n)
    reg = idx[np.isin(kinds, ["H3", "H2", "H1", "HP"])]
    n_drug = 1 + rng.poisson(1.6, n)
    n_exam = rng.poisson(np.vectorize(EXAM_RATE.get)(kinds) if n else np.zeros(0))
    drug_claims = _lines_for(idx, n_drug)
    exam_claims = _lines_for(idx, n_exam)
    drug_items = sample_pool(rng, world, np.char.add("drug:", group[drug_claims]))
    exam_items = sample_pool(rng, world, np.char.add("exam:", group[exam_claims]))
    drip = idx[(group == "resp") & (rng.random(n) < np.where(np.isin(kinds, ["CPUB", "CPRIV", "H1"]), 0.3, 0.1))]
    drip_items = np.array([world.cat.idx(c) for c in INFUSION])
    line_claim = np.concatenate([reg, idx, drug_claims, exam_claims, np.repeat(drip, len(INFUSION))])
    item = np.concatenate(
        [
            np.full(len(reg), world.cat.idx("S0001")),
            np.full(n, world.cat.idx("S0002")),
            drug_items,
            exam_items,
            np.tile(drip_items, len(drip)),
        ]
    )
    qty = np.concatenate(
        [
            np.ones(len(reg) + n),
            1.0 + rng.poisson(0.8, len(drug_items)),
            np.ones(len(exam_items) + len(drip) * len(INFUSION)),
        ]
    )
    return assemble(
        world,
        person,
        provider,
        pick_doctor(rng, world, provider),
        OUTPATIENT,
        day,
        day,
        day * DAY + seconds,
        dx,
        -1,
        tag,
        line_claim,
        item,
        qty,
    )


def pharmacy(rng, world: World, person, provider, day, seconds, tag=0) -> Batch:
    """Retail pharmacy purchases: chronic refills, cold and stomach remedies, some tonics."""
    n = len(person)
    idx = np.arange(n)
    chronic = world.pers.chronic[person]
    n_lines = 1 + rng.poisson(1.5, n)
    line_claim = _lines_for(idx, n_lines)
    r = rng.random(len(line_claim))
    key = np.where(
        chronic[line_claim] & (r < 0.6),
        "drug:chronic",
        np.where(r < 0.75, "drug:resp", np.where(r < 0.88, "drug:gastro", "drug:general")),
    )
    item = sample_pool(rng, world, key)
    selfpay = world.cat.group_idx("selfpay")
    tonic = rng.random(len(item)) < 0.05
    item[tonic] = rng.choice(selfpay, tonic.sum())
    qty = 1.0 + rng.poisson(np.where(chronic[line_claim], 1.5, 0.5))
    return assemble(
        world,
        person,
        provider,
        np.full(n, -1),
        PHARMACY,
        day,
        day,
        day * DAY + seconds,
        np.full(n, -1),
        -1,
        tag,
        line_claim,
        item,
        qty,
    )


def inpatient(rng, world: World, person, provider, admit, drg, los, tag=0, with_care=True) -> Batch:
    """Inpatient stays: daily bed and nursing, injections, an admission panel, surgery if any.

    `with_care=False` builds the empty stays of ghost admissions (bed and nursing only).
    """
    n = len(person)
    idx = np.arange(n)
    day_claim = _lines_for(idx, los)
    day_no = np.arange(len(day_claim)) - np.repeat(np.cumsum(los) - los, los)
    stay_day = admit[day_claim] + day_no
    parts = [
        (day_claim, np.full(len(day_claim), world.cat.idx("S0010")), stay_day, 1.0),
        (day_claim, np.full(len(day_claim), world.cat.idx("S0011")), stay_day, 1.0),
    ]
    panel = [world.cat.idx(c) for c in ("S0020", "S0021", "S0022", "S0023", "S0041", "S0040")]
    n_panel = len(panel) if with_care else 1
    parts.append((np.repeat(idx, n_panel), np.tile(panel[:n_panel], n), np.repeat(admit, n_panel), 1.0))
    if with_care:
        parts += _stay_care(rng, world, idx, drg, day_claim, stay_day, admit, los)
    line_claim = np.concatenate([p[0] for p in parts])
    item = np.concatenate([p[1] for p in parts])
    day = np.concatenate([p[2] for p in parts])
    qty = np.concatenate([np.broadcast_to(np.asarray(p[3], dtype=float), len(p[0])) for p in parts])
    discharge = admit + los
    seconds = discharge * DAY + (rng.uniform(9, 17, n) * 3600).astype(np.int64)
    return assemble(
        world,
        person,
        provider,
        pick_doctor(rng, world, provider),
        INPATIENT,
        admit,
        discharge,
        seconds,
        world.drg_dx[drg],
        drg,
        tag,
        line_claim,
        item,
        qty,
        day,
    )


def _stay_care(rng, world: World, idx, drg, day_claim, stay_day, admit, los) -> list[tuple]:
    """Injections and oral drugs each day, monitoring, tests, surgery and implants; heavier
    DRG groups get more of everything."""
    cat = world.cat
    weight = world.drg_weight[drg]
    n_inj = rng.poisson(4.0 * weight[day_claim] ** 0.8)
    inj_claim = np.repeat(day_claim, n_inj)
    inj_day = np.repeat(stay_day, n_inj)
    expensive = (weight[inj_claim] >= 1.8) & (rng.random(len(inj_claim)) < 0.15)
    inj_items = np.where(
        expensive,
        rng.choice(cat.group_idx("injection_exp"), len(inj_claim)),
        rng.choice(cat.group_idx("injection"), len(inj_claim)),
    )
    inj_qty = np.minimum(1 + rng.poisson(1.0, len(inj_items)), np.nan_to_num(cat.max_daily[inj_items], nan=9))
    n_oral = rng.poisson(0.8, len(day_claim))
    oral = sample_pool(rng, world, np.full(n_oral.sum(), "drug:general"))
    monitored = weight[day_claim] >= 1.3
    test_day = rng.random(len(day_claim)) < 0.3
    tests = rng.choice(np.concatenate([cat.group_idx("lab"), cat.group_idx("imaging")]), test_day.sum())
    ct = idx[rng.random(len(idx)) < 0.4]
    surg = world.drg_surgery[drg] >= 0
    s_idx = idx[surg]
    s_day = admit[surg] + np.minimum(1, los[surg] - 1)
    implant = world.drg_code[drg] == "IC29"
    return [
        (inj_claim, inj_items, inj_day, inj_qty),
        (np.repeat(day_claim, n_oral), oral, np.repeat(stay_day, n_oral), 1.0),
        (day_claim[monitored], np.full(monitored.sum(), cat.idx("S0012")), stay_day[monitored], 1.0),
        (day_claim[test_day], tests, stay_day[test_day], 1.0),
        (ct, rng.choice(cat.group_idx("imaging_ct"), len(ct)), admit[ct], 1.0),
        (s_idx, world.drg_surgery[drg[surg]], s_day, 1.0),
        (day_claim, np.full(len(day_claim), cat.idx("M0002")), stay_day, 1.0),
        (idx[implant], np.full(implant.sum(), cat.idx("M0010")), admit[implant] + 1, 1.0),
    ]


def assemble(
    world, person, provider, doctor, setting, admit, discharge, settle, dx, drg, tag, line_claim, item, qty, day=None
) -> Batch:
    n = len(person)
    day = admit[line_claim] if day is None else day
    # one line per item and day: honest systems add up repeats of an item into its quantity
    key = (line_claim.astype(np.int64) << 26) | (day.astype(np.int64) << 10) | item
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    line_claim, item, qty, day = line_claim[first], item[first], qty[first], day[first].astype(np.int64)
    order = np.argsort(line_claim, kind="stable")
    line_claim, item, qty, day = line_claim[order], item[order], qty[order], day[order]
    as_arr = lambda v, dt=np.int64: np.broadcast_to(np.asarray(v, dtype=dt), n).copy()
    return Batch(
        person=person.astype(np.int64),
        provider=provider.astype(np.int64),
        doctor=doctor.astype(np.int64),
        setting=as_arr(setting),
        admit=admit.astype(np.int64),
        discharge=discharge.astype(np.int64),
        settle=settle.astype(np.int64),
        dx=as_arr(dx),
        drg=as_arr(drg),
        tag=as_arr(tag),
        line_claim=line_claim,
        item=item,
        qty=qty.astype(float),
        price=price_of(world, provider[line_claim], item),
        day=day,
    )


def add_lines(
    batch: Batch, claim: np.ndarray, item: np.ndarray, qty: np.ndarray, price: np.ndarray, day: np.ndarray
) -> None:
    """Append lines to existing claims of `batch` (in place; lines are re-sorted when written)."""
    batch.line_claim = np.concatenate([batch.line_claim, claim.astype(np.int64)])
    batch.item = np.concatenate([batch.item, item.astype(np.int64)])
    batch.qty = np.concatenate([batch.qty, np.asarray(qty, dtype=float)])
    batch.price = np.concatenate([batch.price, price.astype(np.int64)])
    batch.day = np.concatenate([batch.day, day.astype(np.int64)])
