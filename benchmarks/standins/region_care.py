"""Honest care in a stand-in pooling region: outpatient visits, pharmacy purchases, inpatient stays.

Part of `regions.py`. Everything is drawn month by month and vectorised with numpy: how often
each insured person seeks care (age, chronic illness, winter), where (a home provider in their
district, else by popularity and distance), for what (diagnosis by age, sex and season), and the
itemised lines from the care recipes in `region_world`. Claims are kept in an internal frame
(`cid`, `person`, `prov`, `setting`, `admit`, `los`, `diagnosis`, `drg`, `doctor`, `settle`,
`scheme`) and lines in another (`cid`, `item`, `qty`, `day`, `price_mult`, `price_override`);
prices and payments are settled later, after fraud has been planted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from region_world import AGE_TAG_WEIGHTS, CHRONIC_DX, INPATIENT, OUTPATIENT_DX

LINE_COLUMNS = ["cid", "item", "qty", "day", "price_mult", "price_override"]


def month_span(start: pd.Timestamp, m: int) -> tuple[pd.Timestamp, int]:
    """First day of month `m` after `start` and its number of days."""
    first = start + pd.DateOffset(months=m)
    return first, int(first.days_in_month)


def district_choice(
    rng, persons: pd.DataFrame, prov: pd.DataFrame, who: np.ndarray, mask: np.ndarray, weight: np.ndarray, near: float
) -> np.ndarray:
    """A provider (index) per person in `who`, among `mask`, by `weight`, `near` times likelier in their district."""
    out = np.empty(len(who), dtype=int)
    districts = persons["region"].to_numpy()[who]
    candidates = np.flatnonzero(mask)
    for d in np.unique(districts):
        w = weight[candidates] * np.where(prov["region"].to_numpy()[candidates] == d, near, 1.0)
        rows = np.flatnonzero(districts == d)
        out[rows] = rng.choice(candidates, len(rows), p=w / w.sum())
    return out


def assign_homes(rng, persons: pd.DataFrame, prov: pd.DataFrame) -> None:
    """Each person's home clinic or primary hospital, and home pharmacy (added as columns)."""
    everyone = np.arange(len(persons))
    local = prov["kind"].isin(["clinic", "primary"]).to_numpy()
    pop = prov["popularity"].to_numpy()
    persons["home"] = district_choice(rng, persons, prov, everyone, local, pop, 12.0)
    persons["home_pharmacy"] = district_choice(
        rng, persons, prov, everyone, (prov["kind"] == "pharmacy").to_numpy(), pop, 12.0
    )
    persons["refill_day"] = rng.integers(1, 29, len(persons))


def settle_times(rng, day: pd.Series, open_h: float, close_h: float) -> pd.Series:
    """Settlement timestamps on `day` between the opening and closing hours."""
    seconds = rng.uniform(open_h * 3600, close_h * 3600, len(day)).astype(int)
    return day + pd.to_timedelta(seconds, unit="s")


def winter(month: int) -> float:
    """Respiratory illness multiplier for calendar month 1..12 (peaks in January)."""
    return 1 + 0.9 * np.cos(2 * np.pi * (month - 1) / 12) ** 2 * (month in (11, 12, 1, 2, 3))


def acute_dx(rng, sex: np.ndarray, cal_month: int) -> np.ndarray:
    """An acute (non-chronic) outpatient diagnosis per visit, by sex and season."""
    codes = np.array([d[0] for d in OUTPATIENT_DX])
    out = np.empty(len(sex), dtype=object)
    for s in ("F", "M"):
        w = np.array(
            [
                0
                if who in ("htn", "dm", "asthma") or who in ("F", "M") and who != s
                else (2.5 * winter(cal_month) if who == "resp" else 1.0)
                for _, _, who, _ in OUTPATIENT_DX
            ]
        )
        rows = np.flatnonzero(sex == s)
        out[rows] = rng.choice(codes, len(rows), p=w / w.sum())
    return out


def outpatient_claims(rng, persons: pd.DataFrame, prov: pd.DataFrame, first: pd.Timestamp, days: int) -> pd.DataFrame:
    """One month of outpatient visits: who, where, for what, when."""
    rate = 0.30 * persons["activity"].to_numpy() * (1 + 0.25 * (first.month in (12, 1, 2)))
    who = np.repeat(np.arange(len(persons)), rng.poisson(rate))
    at_home = rng.random(len(who)) < 0.45
    care = prov["provider_type"].isin(["hospital", "clinic"]).to_numpy()
    prov_idx = np.where(
        at_home,
        persons["home"].to_numpy()[who],
        district_choice(rng, persons, prov, who, care, prov["popularity"].to_numpy(), 3.0),
    )
    chronic = persons["chronic"].to_numpy()[who]
    dx = acute_dx(rng, persons["sex"].to_numpy()[who], first.month)
    use_chronic = (chronic != "") & (rng.random(len(who)) < 0.55)
    dx[use_chronic] = [CHRONIC_DX[c] for c in chronic[use_chronic]]
    day = first + pd.to_timedelta(rng.integers(0, days, len(who)), unit="D")
    late = prov["kind"].to_numpy()[prov_idx] == "clinic"
    settle = settle_times(rng, pd.Series(day), 8, 17.5)
    settle[late] = settle_times(rng, pd.Series(day[late]), 8, 20.5).to_numpy()
    return pd.DataFrame(
        {
            "person": who,
            "prov": prov_idx,
            "setting": "outpatient",
            "admit": day,
            "los": 0,
            "diagnosis": dx,
            "drg": None,
            "doctor": doctor_of(rng, prov, prov_idx),
            "settle": settle.to_numpy(),
            "scheme": "",
            "recipe": "OP:" + pd.Series(dx).astype(str),
        }
    )


def doctor_of(rng, prov: pd.DataFrame, prov_idx: np.ndarray) -> np.ndarray:
    """A doctor id of the provider for each claim."""
    k = (rng.random(len(prov_idx)) * prov["doctors"].to_numpy()[prov_idx]).astype(int)
    ids = prov["provider_id"].to_numpy()[prov_idx]
    return np.char.add(np.char.add(ids.astype(str), "-D"), np.char.zfill(k.astype(str), 3)).astype(object)


def pharmacy_claims(rng, persons: pd.DataFrame, prov: pd.DataFrame, first: pd.Timestamp, days: int) -> pd.DataFrame:
    """One month of pharmacy purchases: occasional ones, plus chronic patients' monthly refills."""
    chronic = persons["chronic"].to_numpy()
    who = np.repeat(np.arange(len(persons)), rng.poisson(0.10 * persons["activity"].to_numpy()))
    anywhere = district_choice(
        rng, persons, prov, who, (prov["kind"] == "pharmacy").to_numpy(), prov["popularity"].to_numpy(), 4.0
    )
    where = np.where(rng.random(len(who)) < 0.5, persons["home_pharmacy"].to_numpy()[who], anywhere)
    day = rng.integers(0, days, len(who))
    basket = np.where((chronic[who] != "") & (rng.random(len(who)) < 0.5), chronic[who], "otc")
    refill = np.flatnonzero((chronic != "") & (persons["refill_day"].to_numpy() % 3 != 0))  # two thirds refill
    refill_day = np.clip(persons["refill_day"].to_numpy()[refill] + rng.integers(-3, 4, len(refill)), 1, days) - 1
    who = np.concatenate([who, refill])
    where = np.concatenate([where, persons["home_pharmacy"].to_numpy()[refill]])
    day = first + pd.to_timedelta(np.concatenate([day, refill_day]), unit="D")
    basket = np.concatenate([basket, chronic[refill]])
    return pd.DataFrame(
        {
            "person": who,
            "prov": where,
            "setting": "pharmacy",
            "admit": day,
            "los": 0,
            "diagnosis": None,
            "drg": None,
            "doctor": None,
            "settle": settle_times(rng, pd.Series(day), 8, 22).to_numpy(),
            "scheme": "",
            "recipe": "PH:" + pd.Series(basket).astype(str),
        }
    )


def inpatient_claims(
    rng, persons: pd.DataFrame, prov: pd.DataFrame, first: pd.Timestamp, days: int, end: pd.Timestamp
) -> pd.DataFrame:
    """One month of admissions: group by age and sex, hospital by level and beds, stay length by group."""
    band = persons["age_band"].to_numpy()
    hazard = 0.009 * np.array([0.5, 0.6, 1.3, 3.0])[band] * (1 + 0.5 * (persons["chronic"].to_numpy() != ""))
    who = np.flatnonzero(rng.random(len(persons)) < hazard)
    group = pick_groups(rng, band[who], persons["sex"].to_numpy()[who])
    stays = pd.DataFrame({"person": who, "group": group})
    stays = pd.concat([stays, rehab_stays(rng, persons, prov)], ignore_index=True)
    stays["prov"] = stay_hospitals(rng, persons, prov, stays)
    return finish_stays(rng, stays, prov, first, days, end)


def pick_groups(rng, band: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """An inpatient group (index into INPATIENT) per admission, by age band and sex."""
    out = np.empty(len(band), dtype=int)
    for b in range(4):
        for s in ("F", "M"):
            w = np.array([AGE_TAG_WEIGHTS[g[6]][b] * (g[5] in (None, s)) for g in INPATIENT], dtype=float)
            rows = np.flatnonzero((band == b) & (sex == s))
            out[rows] = rng.choice(len(INPATIENT), len(rows), p=w / w.sum())
    return out


def rehab_stays(rng, persons: pd.DataFrame, prov: pd.DataFrame) -> pd.DataFrame:
    """The rehabilitation look-alikes' long stays for older persons of their district."""
    rehab_group = [g[0] for g in INPATIENT].index("RE1")
    frames = []
    for h in np.flatnonzero(prov["lookalike"].to_numpy() == "rehab_hospital"):
        pool = np.flatnonzero(
            (persons["age_band"].to_numpy() >= 2) & (persons["region"].to_numpy() == prov.at[h, "region"])
        )
        n = rng.poisson(7)
        frames.append(pd.DataFrame({"person": rng.choice(pool, n), "group": rehab_group, "fixed": h}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["person", "group", "fixed"])


def stay_hospitals(rng, persons: pd.DataFrame, prov: pd.DataFrame, stays: pd.DataFrame) -> np.ndarray:
    """The hospital of each stay: able to treat the group (level), likelier if big and near."""
    hospital = (prov["provider_type"] == "hospital").to_numpy()
    level = prov["level"].fillna(0).to_numpy().astype(int)
    weight = prov["beds"].to_numpy().astype(float) ** 0.9
    min_level = np.array([g[4] for g in INPATIENT])[stays["group"].to_numpy()]
    out = np.zeros(len(stays), dtype=int)
    for lv in np.unique(min_level):
        rows = np.flatnonzero(min_level == lv)
        mask = hospital & (level >= lv) & (prov["lookalike"].to_numpy() != "rehab_hospital")
        out[rows] = district_choice(rng, persons, prov, stays["person"].to_numpy()[rows], mask, weight, 3.0)
    fixed = stays["fixed"].to_numpy() if "fixed" in stays else np.full(len(stays), np.nan)
    return np.where(pd.notna(fixed), np.nan_to_num(fixed.astype(float)), out).astype(int)


def finish_stays(
    rng, stays: pd.DataFrame, prov: pd.DataFrame, first: pd.Timestamp, days: int, end: pd.Timestamp
) -> pd.DataFrame:
    """Severity, length of stay, dates, DRG code and doctor of each stay."""
    g = stays["group"].to_numpy()
    severe = rng.random(len(g)) < 0.25
    mean_los = np.array([x[3] for x in INPATIENT], dtype=float)[g] * np.where(severe, 1.3, 1.0)
    los = np.maximum(1, np.round(mean_los * rng.lognormal(-0.05, 0.33, len(g)))).astype(int)
    admit = pd.Series(first + pd.to_timedelta(rng.integers(0, days, len(g)), unit="D"))
    discharge = (admit + pd.to_timedelta(los, unit="D")).clip(upper=end)
    los = (discharge - admit).dt.days.to_numpy()
    stems = np.array([x[0] for x in INPATIENT])[g]
    return pd.DataFrame(
        {
            "person": stays["person"].to_numpy(),
            "prov": stays["prov"].to_numpy(),
            "setting": "inpatient",
            "admit": admit,
            "los": los,
            "diagnosis": np.array([x[1] for x in INPATIENT])[g],
            "drg": np.char.add(stems, np.where(severe, "1", "3")).astype(object),
            "doctor": doctor_of(rng, prov, stays["prov"].to_numpy()),
            "settle": settle_times(rng, pd.Series(discharge), 9, 16).to_numpy(),
            "scheme": "",
            "recipe": stems.astype(object),
            "severe": severe,
        }
    )


# ---------------------------------------------------------------- lines


def recipe_lines(
    rng, cids: np.ndarray, recipes: np.ndarray, n_days: np.ndarray, book: pd.DataFrame, boost: np.ndarray | None = None
) -> pd.DataFrame:
    """Lines drawn from each claim's recipe: each item kept with its probability, once or on each day.

    `book` is region_world.recipe_table(); `n_days` is how many days the claim spans (1 outside stays);
    `boost` multiplies each claim's item probabilities (its provider's prescribing habit).
    """
    boost = np.ones(len(cids)) if boost is None else boost
    book = book.sort_values("recipe", kind="stable").reset_index(drop=True)
    names, start, length = np.unique(book["recipe"].to_numpy(), return_index=True, return_counts=True)
    pos = np.searchsorted(names, recipes)
    known = (pos < len(names)) & (names[np.minimum(pos, len(names) - 1)] == recipes)
    cids, n_days, pos, boost = cids[known], n_days[known], pos[known], boost[known]
    reps = length[pos]
    claim_row = np.repeat(np.arange(len(cids)), reps)
    row = start[pos][claim_row] + np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    daily = book["daily"].to_numpy()[row]
    per_row_days = np.where(daily, n_days[claim_row], 1)
    claim_row, row = np.repeat(claim_row, per_row_days), np.repeat(row, per_row_days)
    day = np.arange(per_row_days.sum()) - np.repeat(np.cumsum(per_row_days) - per_row_days, per_row_days)
    once = ~book["daily"].to_numpy()[row]
    day = np.where(once, (rng.random(len(row)) * n_days[claim_row]).astype(int), day)
    keep = rng.random(len(row)) < book["prob"].to_numpy()[row] * boost[claim_row]
    claim_row, row, day = claim_row[keep], row[keep], day[keep]
    qty = rng.integers(book["qmin"].to_numpy()[row], book["qmax"].to_numpy()[row] + 1)
    return pd.DataFrame(
        {
            "cid": cids[claim_row],
            "item": book["item"].to_numpy()[row],
            "qty": qty.astype(float),
            "day": day,
            "price_mult": 1.0,
            "price_override": np.nan,
        }
    )


def fixed_lines(cids: np.ndarray, item: str, qty: float = 1.0, day: np.ndarray | None = None) -> pd.DataFrame:
    """One line of `item` per claim."""
    return pd.DataFrame(
        {
            "cid": cids,
            "item": item,
            "qty": qty,
            "day": 0 if day is None else day,
            "price_mult": 1.0,
            "price_override": np.nan,
        }
    )


def daily_lines(cids: np.ndarray, n_days: np.ndarray, item) -> pd.DataFrame:
    """One line of `item` (a code, or one code per claim) on every day of each claim."""
    items = np.broadcast_to(np.asarray(item, dtype=object), cids.shape)
    day = np.arange(n_days.sum()) - np.repeat(np.cumsum(n_days) - n_days, n_days)
    return pd.DataFrame(
        {
            "cid": np.repeat(cids, n_days),
            "item": np.repeat(items, n_days),
            "qty": 1.0,
            "day": day,
            "price_mult": 1.0,
            "price_override": np.nan,
        }
    )


DRIP_SHARE = {"clinic": 0.22, "primary": 0.15, "secondary": 0.06, "tertiary": 0.03, "pharmacy": 0.0}


def claim_lines(rng, claims: pd.DataFrame, prov: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """The honest itemised lines of `claims` (any mix of settings)."""
    cid, recipe = claims["cid"].to_numpy(), claims["recipe"].to_numpy().astype(str)
    n_days = np.maximum(claims["los"].to_numpy(), 1)
    setting, kind = claims["setting"].to_numpy(), prov["kind"].to_numpy()[claims["prov"].to_numpy()]
    out, ip = setting == "outpatient", setting == "inpatient"
    drip = out & (rng.random(len(claims)) < pd.Series(kind).map(DRIP_SHARE).to_numpy())
    tonic = (setting == "pharmacy") & (rng.random(len(claims)) < 0.12)
    severe = ip & claims.get("severe", pd.Series(False, index=claims.index)).fillna(False).to_numpy(bool)
    habit = prov["habit"].to_numpy()[claims["prov"].to_numpy()]
    parts = [
        fixed_lines(cid[out], "S001"),
        fixed_lines(cid[out], "S002"),
        recipe_lines(rng, cid[~ip], recipe[~ip], n_days[~ip], book, habit[~ip]),
        recipe_lines(rng, cid[drip], np.full(drip.sum(), "DRIP"), n_days[drip], book),
        recipe_lines(rng, cid[tonic], np.full(tonic.sum(), "PH:tonic"), n_days[tonic], book),
        daily_lines(cid[ip], n_days[ip], "S010"),
        daily_lines(cid[ip], n_days[ip], np.where(severe[ip], "S012", "S011")),
        recipe_lines(rng, cid[ip], np.char.add("IPD:", recipe[ip]), n_days[ip], book, habit[ip]),
        recipe_lines(rng, cid[ip], np.char.add("IPO:", recipe[ip]), n_days[ip], book, habit[ip]),
    ]
    albumin = np.flatnonzero(severe & (rng.random(len(claims)) < 0.4))
    parts.append(
        fixed_lines(
            cid[albumin],
            "D042",
            rng.integers(1, 3, len(albumin)).astype(float),
            (rng.random(len(albumin)) * n_days[albumin]).astype(int),
        )
    )
    lines = pd.concat(parts, ignore_index=True)
    empty = np.setdiff1d(cid, lines["cid"].to_numpy())  # e.g. a basket where every item was skipped
    return pd.concat([lines, fixed_lines(empty, "D021")], ignore_index=True)


def honest_claims(rng, persons: pd.DataFrame, prov: pd.DataFrame, start: pd.Timestamp, months: int) -> pd.DataFrame:
    """All honest claims of the region, month by month, with internal claim numbers `cid`."""
    end = start + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    frames = []
    for m in range(months):
        first, days = month_span(start, m)
        for make in (outpatient_claims, pharmacy_claims):
            frames.append(make(rng, persons, prov, first, days))
        frames.append(inpatient_claims(rng, persons, prov, first, days, end))
    claims = pd.concat(frames, ignore_index=True)
    claims["severe"] = claims["severe"].fillna(False).astype(bool)
    claims.insert(0, "cid", np.arange(len(claims)))
    claims["month"] = month_index(claims["settle"], start)
    return claims


def month_index(when: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """Months since `start` (0 = the first month of the data)."""
    when = pd.to_datetime(when)
    return ((when.dt.year - start.year) * 12 + when.dt.month - start.month).to_numpy()
