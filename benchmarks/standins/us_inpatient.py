"""Stand-in for a real public US inpatient claims dataset, mapped into the claims contract.

What it imitates: the inpatient part of the Kaggle "Healthcare Provider Fraud Detection
Analysis" data (Medicare-style claims of 2009, every provider labelled PotentialFraud Yes/No),
as a user would map it into the contract:

- providers are all `hospital`, level empty, beds 0, staff 0 (the data knows nothing of them);
- beneficiaries are mostly 65+, spread over US states (the `region`);
- one claim per stay, `setting=inpatient`, attending physician as `doctor_id`, an ICD-10-like
  admitting diagnosis, a DRG-like group code; fund_paid = amount reimbursed, self_paid = the
  deductible, personal_account_paid 0;
- one claim_items line per stay whose amount is the claim total (item_code = the DRG code);
- provider volume is heavy-tailed, and fraud is strongly tied to volume (about 9-10% of all
  providers are fraudulent, about a third of those with 20+ stays). Fraudulent providers also
  bill more stays per beneficiary, slightly longer and dearer stays, upcode severity, code a
  wider range of diagnoses and share attending physicians within rings; all weak next to volume.
- labels.csv: one provider row per labelled provider, outcome fraud/clean, covering the whole
  year (period_from = first month, period = last month). Persons have no labels.

Why: fundguard was judged on data like this, which it never generated. This generator shares no
code with fundguard's own `synthetic/` package. Run `python us_inpatient.py --out DIR --seed 1`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from common import Stopwatch, cents, write_sidecars, write_tables

YEAR = 2009
DEDUCTIBLE = 1068.0  # the Part A deductible that most 2009 stays carry
BASE_RATE = 5200.0  # reimbursement of a weight-1.0 stay

# DRG-like families: (name, first code, relative weight, mean length of stay, ICD-10-like codes).
# Each family has three severities: code (with major complications), code+1 (with complications),
# code+2 (without); upcoding moves a stay to a more severe code of the same family.
FAMILIES = [
    ("heart failure", 291, 1.30, 5.0, ["I50.9", "I50.1", "I11.0"]),
    ("pneumonia", 193, 1.20, 5.5, ["J18.9", "J15.9", "J13"]),
    ("sepsis", 871, 1.90, 6.5, ["A41.9", "A40.0", "R65.2"]),
    ("copd", 190, 1.05, 4.5, ["J44.1", "J44.0", "J96.0"]),
    ("stroke", 64, 1.70, 5.5, ["I63.9", "I61.9", "G45.9"]),
    ("chest pain", 313, 0.60, 2.0, ["R07.9", "I20.9", "R07.4"]),
    ("myocardial infarction", 280, 1.75, 4.8, ["I21.4", "I21.9", "I22.9"]),
    ("kidney failure", 682, 1.10, 5.0, ["N17.9", "N18.5", "N19"]),
    ("urinary infection", 689, 0.85, 4.0, ["N39.0", "N30.0", "N10"]),
    ("gi bleeding", 377, 1.25, 4.5, ["K92.2", "K92.0", "K25.4"]),
    ("hip and femur", 480, 2.60, 6.5, ["S72.0", "S72.1", "M80.0"]),
    ("joint replacement", 469, 2.90, 3.5, ["M17.1", "M16.1", "M17.0"]),
    ("diabetes", 637, 0.90, 4.0, ["E11.6", "E11.1", "E10.1"]),
    ("arrhythmia", 308, 0.95, 3.5, ["I48.9", "I49.9", "I47.1"]),
    ("psychoses", 885, 1.25, 9.0, ["F20.9", "F32.3", "F31.2"]),
]
SEVERITY_WEIGHT = np.array([1.55, 1.0, 0.72])
SEVERITY_LOS = np.array([1.35, 1.0, 0.8])
SEVERITY_SHARE = np.array([0.22, 0.38, 0.40])


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--providers", type=int, default=1800)
    ap.add_argument("--persons", type=int, default=30000)
    ap.add_argument("--stays", type=int, default=40000, help="approximate number of stays")
    ap.add_argument("--fraud-share", type=float, default=0.095, help="share of providers that are fraudulent")
    ap.add_argument(
        "--volume-slope",
        type=float,
        default=1.2,
        help="logit slope of fraud on log(volume); 0 makes fraud independent of volume",
    )
    ap.add_argument(
        "--behaviour", type=float, default=1.2, help="strength of the weak behavioural signs (0 = none, 1 = default)"
    )
    ap.add_argument("--min-stays-labelled", type=int, default=1, help="providers with fewer stays get no label")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    return ap.parse_args(argv)


# ---------------------------------------------------------------- catalogue and code tables


def drg_table() -> pd.DataFrame:
    """One row per DRG-like code: family index, severity, weight, mean LOS, code."""
    rows = []
    for fam, (name, first, weight, los, _) in enumerate(FAMILIES):
        for sev in range(3):
            rows.append(
                {
                    "family": fam,
                    "severity": sev,
                    "name": name,
                    "drg": f"DRG-{first + sev:03d}",
                    "weight": weight * SEVERITY_WEIGHT[sev],
                    "los": los * SEVERITY_LOS[sev],
                }
            )
    return pd.DataFrame(rows)


def build_catalog(drgs: pd.DataFrame) -> pd.DataFrame:
    """The catalogue: one generic inpatient-stay item per DRG code, priced at the base rate × weight."""
    label = np.array(["w MCC", "w CC", "w/o CC/MCC"])[drgs["severity"]]
    return pd.DataFrame(
        {
            "item_code": drgs["drg"],
            "item_name": "inpatient stay, " + drgs["name"] + " " + label,
            "item_type": "service",
            "coverage_class": "A",
            "sex_restriction": pd.NA,
            "reference_price": cents(BASE_RATE * drgs["weight"] + DEDUCTIBLE),
            "max_daily_quantity": pd.NA,
            "bundle_code": pd.NA,
        }
    )


# ---------------------------------------------------------------- providers and persons


def draw_volumes_and_fraud(rng, args) -> tuple[np.ndarray, np.ndarray]:
    """Heavy-tailed stay counts and a fraud flag whose odds rise with the provider's honest volume."""
    base = rng.lognormal(np.log(6), 1.2, args.providers)
    logit_slope = args.volume_slope * np.log(np.maximum(base, 1))
    lo, hi = -30.0, 10.0
    for _ in range(60):  # bisect the intercept so that the expected fraud share is as asked
        mid = (lo + hi) / 2
        share = (1 / (1 + np.exp(-(mid + logit_slope)))).mean()
        lo, hi = (mid, hi) if share < args.fraud_share else (lo, mid)
    fraud = rng.random(args.providers) < 1 / (1 + np.exp(-(lo + logit_slope)))
    inflated = np.where(fraud, base * rng.uniform(1.3, 2.2, args.providers), base)  # extra billed stays
    volume = np.maximum(1, np.round(inflated * args.stays / inflated.sum())).astype(int)
    return volume, fraud


def draw_states(rng, count: int) -> tuple[list[str], np.ndarray]:
    """State codes and their population shares (uneven, like US states)."""
    states = [f"US-{i:02d}" for i in range(1, 52)]
    return states, rng.dirichlet(np.full(len(states), 1.2))


def build_providers(rng, n: int, states: list[str], weights: np.ndarray) -> pd.DataFrame:
    """All hospitals without level, beds or staff, as in the mapped Kaggle data."""
    ids = [f"PRV{51001 + i}" for i in range(n)]
    return pd.DataFrame(
        {
            "provider_id": ids,
            "provider_type": "hospital",
            "level": pd.array([pd.NA] * n, dtype="Int64"),
            "ownership": rng.choice(["public", "private"], n, p=[0.6, 0.4]),
            "region": rng.choice(states, n, p=weights),
            "beds": 0,
            "staff": 0,
            "contract_start": pd.Timestamp("1995-01-01") + pd.to_timedelta(rng.integers(0, 4700, n), unit="D"),
        }
    )


def build_insured(rng, n: int, states: list[str], weights: np.ndarray) -> pd.DataFrame:
    """Beneficiaries: mostly 65+, a tenth younger (disability), 57% women."""
    old = rng.random(n) < 0.9
    birth_year = np.where(old, rng.integers(1909, 1944, n), rng.integers(1940, 1984, n))
    birth = pd.to_datetime(pd.DataFrame({"year": birth_year, "month": rng.integers(1, 13, n), "day": 1}))
    return pd.DataFrame(
        {
            "person_id": [f"BENE{11001 + i}" for i in range(n)],
            "sex": np.where(rng.random(n) < 0.57, "F", "M"),
            "birth_date": birth,
            "scheme": rng.choice(["employee", "resident"], n, p=[0.55, 0.45]),
            "region": rng.choice(states, n, p=weights),
        }
    )


# ---------------------------------------------------------------- stays


def provider_traits(rng, fraud: np.ndarray, behaviour: float) -> pd.DataFrame:
    """Per-provider behaviour: honest providers vary widely; fraudulent ones drift a little by `behaviour`."""
    n, b = len(fraud), behaviour * fraud
    return pd.DataFrame(
        {
            "repeat": rng.uniform(0.0, 0.15, n) + b * rng.uniform(0.0, 0.12, n),  # re-admitting own patients
            "los_mult": rng.lognormal(0, 0.10, n) * (1 + b * rng.uniform(0.0, 0.15, n)),  # longer stays
            "upcode": b * rng.uniform(0.0, 0.2, n),  # a stay moves up one severity
            "cost_mult": rng.lognormal(0, 0.12, n) * (1 + b * rng.uniform(0.0, 0.12, n)),  # dearer stays
            "focus": rng.uniform(0.3, 0.8, n) * (1 - 0.15 * b),  # share in the 3 favourite families
            "floating": rng.uniform(0.0, 0.15, n),  # stays by physicians of many hospitals
            "ring_share": b * rng.uniform(0.02, 0.12, n),  # stays by the ring's physicians
        }
    )


def pick_persons(
    rng, prov: np.ndarray, prov_state: np.ndarray, insured: pd.DataFrame, states: list[str], weights: np.ndarray
) -> np.ndarray:
    """A beneficiary per stay: from the provider's state (92%), else anywhere; frailer ones more often."""
    state_of = {s: i for i, s in enumerate(states)}
    person_state = insured["region"].map(state_of).to_numpy()
    order = np.argsort(person_state, kind="stable")
    cum = np.cumsum(rng.lognormal(0, 0.5, len(order)))  # frailty weights, grouped by state
    bounds = np.searchsorted(person_state[order], np.arange(len(states) + 1))
    stay_state = np.where(rng.random(len(prov)) < 0.92, prov_state[prov], rng.choice(len(states), len(prov), p=weights))
    lo_idx, hi_idx = bounds[stay_state], bounds[stay_state + 1]
    empty = lo_idx == hi_idx  # a state without beneficiaries: anyone
    lo_idx, hi_idx = np.where(empty, 0, lo_idx), np.where(empty, len(order), hi_idx)
    lo = np.where(lo_idx > 0, cum[np.maximum(lo_idx - 1, 0)], 0.0)
    u = lo + rng.random(len(prov)) * (cum[hi_idx - 1] - lo)
    pos = np.minimum(np.searchsorted(cum, u, side="right"), hi_idx - 1)
    return order[pos]


def readmit_own_patients(rng, prov: np.ndarray, person: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """A share of each provider's stays re-admit beneficiaries it has already treated (more at fraudsters)."""
    person = person.copy()
    for p in np.unique(prov):
        idx = np.flatnonzero(prov == p)
        for k in range(1, len(idx)):
            if rng.random() < repeat[p]:
                person[idx[k]] = person[idx[rng.integers(0, k)]]
    return person


def pick_drgs(rng, prov: np.ndarray, traits: pd.DataFrame, drgs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """DRG row and ICD-10-like code per stay: providers have favourite families; fraud codes wider, higher."""
    n, fams = len(prov), len(FAMILIES)
    favourites = np.stack([rng.choice(fams, 3, replace=False) for _ in range(len(traits))])
    focused = rng.random(n) < traits["focus"].to_numpy()[prov]
    family = np.where(focused, favourites[prov, rng.integers(0, 3, n)], rng.integers(0, fams, n))
    severity = rng.choice(3, n, p=SEVERITY_SHARE)
    up = (rng.random(n) < traits["upcode"].to_numpy()[prov]) & (severity > 0)
    severity = severity - up
    icd = np.array([FAMILIES[f][4][k] for f, k in zip(family, rng.integers(0, 3, n))])
    return family * 3 + severity, icd


def pick_physicians(rng, prov: np.ndarray, volume: np.ndarray, fraud: np.ndarray, traits: pd.DataFrame) -> np.ndarray:
    """Attending physician per stay: own staff, a few floating ones, and ring physicians shared by fraudsters."""
    n = len(prov)
    pool = np.maximum(1, np.ceil(volume / rng.uniform(5, 30, len(volume)))).astype(int)
    offset = np.concatenate([[0], np.cumsum(pool)[:-1]])
    doctor = offset[prov] + (rng.random(n) * pool[prov]).astype(int)
    next_id = int(pool.sum())
    floating = rng.random(n) < traits["floating"].to_numpy()[prov]
    doctor[floating] = next_id + rng.integers(0, 1500, floating.sum())
    next_id += 1500
    ring_of = np.full(len(volume), -1)
    cheats = rng.permutation(np.flatnonzero(fraud))
    ring_of[cheats] = np.repeat(np.arange(len(cheats)), rng.integers(3, 7, len(cheats)))[: len(cheats)]
    ring_pool = rng.integers(6, 16, ring_of.max() + 2)
    in_ring = (ring_of[prov] >= 0) & (rng.random(n) < traits["ring_share"].to_numpy()[prov])
    ring = ring_of[prov][in_ring]
    doctor[in_ring] = next_id + ring * 20 + (rng.random(in_ring.sum()) * ring_pool[ring]).astype(int)
    return np.array([f"PHY{330000 + d}" for d in doctor])


def stay_dates(rng, mean_los: np.ndarray, los_mult: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Admission day-of-year (a little more in winter) and length of stay, kept inside the year."""
    days = np.arange(365)
    season = 1 + 0.15 * np.cos(2 * np.pi * (days - 15) / 365)
    admit = rng.choice(days, len(mean_los), p=season / season.sum())
    los = np.clip(np.round(mean_los * los_mult * rng.lognormal(-0.1, 0.5, len(mean_los))), 0, 35).astype(int)
    admit = np.minimum(admit, 364 - los)
    return admit, los


def stay_money(
    rng, weight: np.ndarray, los: np.ndarray, mean_los: np.ndarray, cost_mult: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reimbursed amount (rounded to tens, as in the source) and deductible per stay."""
    n = len(weight)
    spread = rng.lognormal(-0.1, 0.45, n)
    reimbursed = BASE_RATE * weight * (0.7 + 0.3 * los / mean_los) * spread * cost_mult
    reimbursed = np.round(np.minimum(reimbursed, 125000) / 10) * 10
    deductible = np.where(rng.random(n) < 0.97, DEDUCTIBLE, 0.0)
    return reimbursed, deductible


# ---------------------------------------------------------------- tables


def build_stays(rng, args, providers, insured, states, weights, volume, fraud, drgs) -> pd.DataFrame:
    """One row per stay with provider, beneficiary, codes, physician, dates and money."""
    traits = provider_traits(rng, fraud, args.behaviour)
    prov = np.repeat(np.arange(len(volume)), volume)
    prov_state = providers["region"].map({s: i for i, s in enumerate(states)}).to_numpy()
    person = pick_persons(rng, prov, prov_state, insured, states, weights)
    person = readmit_own_patients(rng, prov, person, traits["repeat"].to_numpy())
    drg_row, icd = pick_drgs(rng, prov, traits, drgs)
    mean_los = drgs["los"].to_numpy()[drg_row]
    admit, los = stay_dates(rng, mean_los, traits["los_mult"].to_numpy()[prov])
    fund, deductible = stay_money(
        rng, drgs["weight"].to_numpy()[drg_row], los, mean_los, traits["cost_mult"].to_numpy()[prov]
    )
    return pd.DataFrame(
        {
            "prov": prov,
            "person": person,
            "drg": drgs["drg"].to_numpy()[drg_row],
            "icd": icd,
            "doctor": pick_physicians(rng, prov, volume, fraud, traits),
            "admit": admit,
            "los": los,
            "fund": fund,
            "deductible": deductible,
        }
    )


def build_claims(rng, stays: pd.DataFrame, providers: pd.DataFrame, insured: pd.DataFrame) -> pd.DataFrame:
    """The claims table: one settled inpatient claim per stay, in settlement order."""
    jan1 = pd.Timestamp(f"{YEAR}-01-01")
    admit = jan1 + pd.to_timedelta(stays["admit"], unit="D")
    discharge = admit + pd.to_timedelta(stays["los"], unit="D")
    settle = discharge + pd.to_timedelta(rng.integers(8 * 3600, 19 * 3600, len(stays)), unit="s")
    prov_region = providers["region"].to_numpy()[stays["prov"]]
    claims = (
        pd.DataFrame(
            {
                "person_id": insured["person_id"].to_numpy()[stays["person"]],
                "provider_id": providers["provider_id"].to_numpy()[stays["prov"]],
                "doctor_id": stays["doctor"].to_numpy(),
                "setting": "inpatient",
                "admit_date": admit.to_numpy(),
                "discharge_date": discharge.to_numpy(),
                "settle_time": settle.to_numpy(),
                "diagnosis": stays["icd"].to_numpy(),
                "drg": stays["drg"].to_numpy(),
                "total_amount": cents(stays["fund"] + stays["deductible"]),
                "fund_paid": stays["fund"].to_numpy(),
                "personal_account_paid": 0.0,
                "self_paid": stays["deductible"].to_numpy(),
                "out_of_area": insured["region"].to_numpy()[stays["person"]] != prov_region,
            }
        )
        .sort_values("settle_time", kind="stable")
        .reset_index(drop=True)
    )
    claims.insert(0, "claim_id", [f"CLM{100001 + i}" for i in range(len(claims))])
    return claims


def build_items(claims: pd.DataFrame) -> pd.DataFrame:
    """One line per stay: the DRG stay item, quantity 1, priced at the claim total."""
    return pd.DataFrame(
        {
            "claim_id": claims["claim_id"],
            "line_no": 1,
            "item_code": claims["drg"],
            "quantity": 1.0,
            "unit_price": claims["total_amount"],
            "amount": claims["total_amount"],
            "service_date": claims["admit_date"],
        }
    )


def build_labels_and_truth(providers, volume, fraud, min_stays: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every provider with enough stays is labelled for the whole year; truth lists them all."""
    truth = pd.DataFrame(
        {
            "entity_type": "provider",
            "entity_id": providers["provider_id"],
            "fraud": fraud.astype(int),
            "pattern": np.where(fraud, "potential_fraud", ""),
            "stays": volume,
        }
    )
    labelled = truth[truth["stays"] >= min_stays]
    labels = pd.DataFrame(
        {
            "entity_type": "provider",
            "entity_id": labelled["entity_id"],
            "period_from": f"{YEAR}-01",
            "period": f"{YEAR}-12",
            "outcome": np.where(labelled["fraud"] == 1, "fraud", "clean"),
            "pattern": labelled["pattern"],
        }
    )
    return labels, truth


def summary(truth: pd.DataFrame, claims: pd.DataFrame) -> dict:
    """The headline figures of the dataset, for the manifest and the console."""
    busy = truth[truth["stays"] >= 20]
    return {
        "providers": len(truth),
        "fraud_share": round(truth["fraud"].mean(), 4),
        "providers_20plus": len(busy),
        "fraud_share_20plus": round(busy["fraud"].mean(), 4),
        "fraud_share_of_stays": round(truth.loc[truth["fraud"] == 1, "stays"].sum() / truth["stays"].sum(), 4),
        "claims": len(claims),
        "persons_with_stays": int(claims["person_id"].nunique()),
        "max_stays": int(truth["stays"].max()),
        "median_stays": float(truth["stays"].median()),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    clock, rng = Stopwatch(), np.random.default_rng(args.seed)
    drgs = drg_table()
    states, weights = draw_states(rng, 51)
    volume, fraud = draw_volumes_and_fraud(rng, args)
    providers = build_providers(rng, args.providers, states, weights)
    insured = build_insured(rng, args.persons, states, weights)
    stays = build_stays(rng, args, providers, insured, states, weights, volume, fraud, drgs)
    claims = build_claims(rng, stays, providers, insured)
    labels, truth = build_labels_and_truth(providers, volume, fraud, args.min_stays_labelled)
    tables = {
        "providers": providers,
        "insured": insured,
        "catalog": build_catalog(drgs),
        "claims": claims,
        "claim_items": build_items(claims),
    }
    write_tables(args.out, tables, args.format)
    facts = summary(truth, claims)
    write_sidecars(
        args.out,
        labels,
        truth,
        {
            "standin": "us_inpatient",
            "seed": args.seed,
            "args": vars(args),
            "periods": [f"{YEAR}-01", f"{YEAR}-12"],
            **facts,
        },
    )
    print(f"us_inpatient stand-in -> {args.out} in {clock}: " + ", ".join(f"{k} {v}" for k, v in facts.items()))


if __name__ == "__main__":
    main()
