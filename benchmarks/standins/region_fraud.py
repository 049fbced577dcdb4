"""Fraud planted into a stand-in pooling region: six schemes of varying intensity and start month.

Part of `regions.py`. Each fraudulent provider runs one scheme from its start month to the end of
the data, at an intensity (share of its claims touched, or amount of invented care) of its own,
so that some fraud is large and blatant and some is a small part of a big honest provider:

| scheme | who | what it leaves in the claims |
|---|---|---|
| price_markup | clinics, primary hospitals | service and drug lines priced 1.2-1.7x the local price |
| cadence_phantoms | clinics, pharmacies | a fixed roster of cards billed every month on one day, after hours, same basket |
| line_padding | secondary/tertiary hospitals, clinics | 2-4 extra tests or drugs on a share of visits, unrelated to the diagnosis |
| idle_stays | primary hospitals | invented long stays of older persons with only bed, nursing and a cheap pill |
| pharmacy_swap | pharmacies | purchases re-coded as covered drugs with round totals at odd unit prices |
| drg_upcoding | secondary/tertiary hospitals | stays coded to the complicated DRG, with albumin and level-I nursing added |

Claims touched or invented get `scheme` set; the truth is kept per provider.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from region_care import daily_lines, doctor_of, fixed_lines, settle_times

SCHEMES = ("price_markup", "cadence_phantoms", "line_padding", "idle_stays", "pharmacy_swap", "drg_upcoding")
ELIGIBLE = {
    "price_markup": ("clinic", "primary"),
    "cadence_phantoms": ("clinic", "pharmacy"),
    "line_padding": ("tertiary", "secondary", "clinic"),
    "idle_stays": ("primary",),
    "pharmacy_swap": ("pharmacy",),
    "drg_upcoding": ("tertiary", "secondary"),
}
BASE_COUNT = {
    "price_markup": 4,
    "cadence_phantoms": 4,
    "line_padding": 4,
    "idle_stays": 3,
    "pharmacy_swap": 4,
    "drg_upcoding": 3,
}
PADDING_ITEMS = np.array(["S032", "S033", "S035", "S036", "S040", "S042", "D045", "D047"])
SWAP_DRUGS = np.array(["D003", "D004", "D006", "D011"])


@dataclass
class Case:
    """One fraudulent provider: index, scheme, first month (index), intensity 0..1."""

    prov: int
    scheme: str
    start: int
    intensity: float


@dataclass
class Region:
    """The mutable state the schemes work on."""

    claims: pd.DataFrame
    lines: pd.DataFrame
    persons: pd.DataFrame
    prov: pd.DataFrame
    start: pd.Timestamp
    months: int


def choose_cases(rng, prov: pd.DataFrame, months: int) -> list[Case]:
    """22-24 fraudulent providers over the six schemes; never an honest look-alike."""
    counts = dict(BASE_COUNT)
    for extra in rng.choice(SCHEMES, rng.integers(0, 3)):
        counts[extra] += 1
    taken: set[int] = set()
    cases = []
    for scheme in SCHEMES:
        pool = prov.index[prov["kind"].isin(ELIGIBLE[scheme]) & (prov["lookalike"] == "")].difference(list(taken))
        private = prov.loc[pool, "ownership"].eq("private").to_numpy()
        weights = np.where(private, 3.0, 1.0) if scheme != "line_padding" else np.ones(len(pool))
        for p in rng.choice(pool, counts[scheme], replace=False, p=weights / weights.sum()):
            taken.add(int(p))
            big = prov.at[p, "kind"] in ("tertiary", "secondary")
            intensity = rng.uniform(0.05, 0.25) if big and rng.random() < 0.6 else rng.uniform(0.15, 0.7)
            cases.append(Case(int(p), scheme, int(rng.integers(0, months // 2 + 1)), float(intensity)))
    return cases


def touched(rng, region: Region, case: Case, setting: str, share: float) -> np.ndarray:
    """Claim ids of the case's provider in `setting` from its start month on, each kept with `share`."""
    c = region.claims
    mask = (c["prov"] == case.prov) & (c["setting"] == setting) & (c["month"] >= case.start) & (c["scheme"] == "")
    ids = c.loc[mask, "cid"].to_numpy()
    return ids[rng.random(len(ids)) < share]


def mark(region: Region, cids: np.ndarray, scheme: str) -> None:
    """Record that the claims `cids` belong to `scheme`."""
    region.claims.loc[region.claims["cid"].isin(cids), "scheme"] = scheme


def price_markup(rng, region: Region, case: Case) -> None:
    """Services and drugs on a share of visits priced well above the price list."""
    cids = touched(rng, region, case, "outpatient", case.intensity)
    lines = region.lines
    hit = lines["cid"].isin(cids) & lines["item"].str.match(r"[SD]") & ~lines["item"].isin(["S001"])
    factor = rng.uniform(1.2, 1.7)
    lines.loc[hit, "price_mult"] = factor * rng.uniform(0.97, 1.03, hit.sum())
    mark(region, cids, case.scheme)


def line_padding(rng, region: Region, case: Case) -> None:
    """Two to four tests or drugs added to a share of visits, whatever the diagnosis."""
    cids = touched(rng, region, case, "outpatient", case.intensity)
    n_extra = rng.integers(2, 5, len(cids))
    extra = pd.DataFrame(
        {
            "cid": np.repeat(cids, n_extra),
            "item": rng.choice(PADDING_ITEMS, n_extra.sum()),
            "qty": 1.0,
            "day": 0,
            "price_mult": 1.0,
            "price_override": np.nan,
        }
    )
    region.lines = pd.concat([region.lines, extra], ignore_index=True)
    mark(region, cids, case.scheme)


def drg_upcoding(rng, region: Region, case: Case) -> None:
    """Uncomplicated stays coded to the complicated group, with albumin and level-I nursing to match."""
    cids = touched(rng, region, case, "inpatient", min(1.0, 0.3 + case.intensity))
    c = region.claims
    rows = c["cid"].isin(cids) & ~c["severe"]
    c.loc[rows, "drg"] = c.loc[rows, "drg"].str[:-1] + "1"
    cids = c.loc[rows, "cid"].to_numpy()
    lines = region.lines
    lines.loc[lines["cid"].isin(cids) & (lines["item"] == "S011"), "item"] = "S012"
    los = c.set_index("cid").loc[cids, "los"].to_numpy()
    albumin = fixed_lines(
        cids,
        "D042",
        rng.integers(1, 3, len(cids)).astype(float),
        (rng.random(len(cids)) * np.maximum(los, 1)).astype(int),
    )
    region.lines = pd.concat([lines, albumin], ignore_index=True)
    mark(region, cids, case.scheme)


def add_claims(region: Region, claims: pd.DataFrame, lines_for) -> None:
    """Append invented claims (numbered after the existing ones) and the lines `lines_for(cids)` gives."""
    claims = claims.reset_index(drop=True)
    claims.insert(0, "cid", region.claims["cid"].max() + 1 + np.arange(len(claims)))
    settle = pd.to_datetime(claims["settle"])
    claims["month"] = ((settle.dt.year - region.start.year) * 12 + settle.dt.month - region.start.month).to_numpy()
    claims["severe"] = False
    region.claims = pd.concat([region.claims, claims[region.claims.columns]], ignore_index=True)
    region.lines = pd.concat([region.lines, lines_for(claims)], ignore_index=True)


def local_elders(rng, region: Region, case: Case, size: int) -> np.ndarray:
    """`size` older persons of the provider's district (the cards a scheme uses)."""
    persons = region.persons
    district = region.prov.at[case.prov, "region"]
    pool = np.flatnonzero((persons["region"].to_numpy() == district) & (persons["age_band"].to_numpy() >= 2))
    return rng.choice(pool, min(size, len(pool)), replace=False)


def cadence_phantoms(rng, region: Region, case: Case) -> None:
    """A roster of cards billed every month on the same day, after hours, with the same basket."""
    roster = local_elders(rng, region, case, int(8 + 50 * case.intensity))
    months = np.arange(case.start, region.months)
    day_of_month = int(rng.integers(3, 27))
    days = np.array([region.start + pd.DateOffset(months=int(m), days=day_of_month - 1) for m in months])
    person, day = np.tile(roster, len(months)), np.repeat(days, len(roster))
    pharmacy = region.prov.at[case.prov, "kind"] == "pharmacy"
    doctor = None if pharmacy else doctor_of(rng, region.prov, np.array([case.prov]))[0]
    claims = pd.DataFrame(
        {
            "person": person,
            "prov": case.prov,
            "setting": "pharmacy" if pharmacy else "outpatient",
            "admit": pd.to_datetime(day),
            "los": 0,
            "diagnosis": None if pharmacy else "I10",
            "drg": None,
            "doctor": doctor,
            "scheme": case.scheme,
            "recipe": "",
        }
    )
    claims["settle"] = settle_times(rng, claims["admit"], 19, 21.5).to_numpy()
    basket = (
        [("D001", 2.0), ("D005", 2.0), ("D024", 1.0)]
        if pharmacy
        else [("S001", 1.0), ("S002", 1.0), ("D001", 2.0), ("D007", 1.0)]
    )
    add_claims(
        region,
        claims,
        lambda c: pd.concat([fixed_lines(c["cid"].to_numpy(), item, qty) for item, qty in basket], ignore_index=True),
    )


IDLE_DIAGNOSES = [("I63.9", "BR23"), ("I50.9", "FR23"), ("E11.6", "KD13"), ("J44.1", "EX23")]


def idle_stays(rng, region: Region, case: Case) -> None:
    """Invented long stays of local older persons: bed, nursing, a cheap daily pill, one blood count."""
    pool = local_elders(rng, region, case, int(rng.integers(15, 40)))
    end = region.start + pd.DateOffset(months=region.months) - pd.Timedelta(days=1)
    frames = []
    for m in range(case.start, region.months):
        first = region.start + pd.DateOffset(months=m)
        n = rng.poisson(1 + 6 * case.intensity)
        admit = pd.Series(first + pd.to_timedelta(rng.integers(0, first.days_in_month, n), unit="D"))
        discharge = (admit + pd.to_timedelta(rng.integers(12, 26, n), unit="D")).clip(upper=end)
        frames.append(pd.DataFrame({"person": rng.choice(pool, n), "admit": admit, "discharge": discharge}))
    stays = pd.concat(frames, ignore_index=True)
    dx = rng.integers(0, len(IDLE_DIAGNOSES), len(stays))
    claims = pd.DataFrame(
        {
            "person": stays["person"],
            "prov": case.prov,
            "setting": "inpatient",
            "admit": stays["admit"],
            "los": (stays["discharge"] - stays["admit"]).dt.days,
            "diagnosis": [IDLE_DIAGNOSES[i][0] for i in dx],
            "drg": [IDLE_DIAGNOSES[i][1] for i in dx],
            "doctor": doctor_of(rng, region.prov, np.full(len(stays), case.prov)),
            "settle": settle_times(rng, stays["discharge"], 9, 16).to_numpy(),
            "scheme": case.scheme,
            "recipe": "",
        }
    )
    add_claims(region, claims, lambda c: idle_lines(rng, c))


def idle_lines(rng, claims: pd.DataFrame) -> pd.DataFrame:
    """Bed, level-II nursing and a vitamin pill every day, one blood count."""
    cids, n_days = claims["cid"].to_numpy(), np.maximum(claims["los"].to_numpy(), 1)
    return pd.concat(
        [
            daily_lines(cids, n_days, "S010"),
            daily_lines(cids, n_days, "S011"),
            daily_lines(cids, n_days, "D047"),
            fixed_lines(cids, "S030"),
        ],
        ignore_index=True,
    )


def round_total_lines(rng, cids: np.ndarray) -> pd.DataFrame:
    """One or two covered-drug lines per purchase adding up to a round total, at whatever unit price fits."""
    total = rng.choice([50.0, 80.0, 100.0, 120.0, 150.0, 200.0, 300.0], len(cids))
    two = (total >= 100) & (rng.random(len(cids)) < 0.5)
    first = np.where(two, 10.0 * np.floor(rng.uniform(1, total / 10, len(cids))), total)
    amounts = np.concatenate([first, (total - first)[two]])
    owner = np.concatenate([cids, cids[two]])
    qty = rng.choice([1.0, 2.0, 4.0, 5.0], len(owner))
    return pd.DataFrame(
        {
            "cid": owner,
            "item": rng.choice(SWAP_DRUGS, len(owner)),
            "qty": qty,
            "day": 0,
            "price_mult": 1.0,
            "price_override": amounts / qty,
        }
    )


def pharmacy_swap(rng, region: Region, case: Case) -> None:
    """A share of purchases (tonics, cosmetics in reality) re-coded as covered drugs with round totals."""
    cids = touched(rng, region, case, "pharmacy", case.intensity)
    region.lines = pd.concat(
        [region.lines[~region.lines["cid"].isin(cids)], round_total_lines(rng, cids)], ignore_index=True
    )
    mark(region, cids, case.scheme)
    source = region.claims[region.claims["cid"].isin(cids)]
    extra = source.sample(n=int(0.25 * len(source)), replace=True, random_state=int(rng.integers(1 << 31)))
    extra = extra.drop(columns=["cid", "month", "severe"]).copy()
    shift = pd.to_timedelta(rng.integers(-5, 6, len(extra)), unit="D")
    lo = region.start + pd.DateOffset(months=case.start)
    hi = region.start + pd.DateOffset(months=region.months) - pd.Timedelta(seconds=1)
    extra["settle"] = (extra["settle"] + shift).clip(lo, hi)
    extra["admit"] = extra["settle"].dt.normalize()
    add_claims(region, extra, lambda c: round_total_lines(rng, c["cid"].to_numpy()))


SCHEME_FUNCTIONS = {
    "price_markup": price_markup,
    "cadence_phantoms": cadence_phantoms,
    "line_padding": line_padding,
    "idle_stays": idle_stays,
    "pharmacy_swap": pharmacy_swap,
    "drg_upcoding": drg_upcoding,
}


def plant(rng, region: Region, cases: list[Case]) -> None:
    """Run every case's scheme on the region, in place."""
    for case in cases:
        SCHEME_FUNCTIONS[case.scheme](rng, region, case)
