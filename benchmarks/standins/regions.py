"""Stand-in synthetic pooling region (Chinese-style) in the claims contract, with planted fraud.

What it imitates: one city's medical-insurance settlements for 13 months — 300 designated
providers (tertiary/secondary/primary hospitals, community and private clinics, retail
pharmacies), ~15,000 insured persons, outpatient visits, pharmacy purchases and inpatient stays
with itemised lines — and the inspection outcomes an agency would hold: scarce, biased towards big
billers and tip-offs, detecting an ongoing fraud only 60-75% of the time, and blind to one scheme.

Fraud: 22-24 providers run one of six schemes (see region_fraud.py) with varied intensity and
start month, some as a small part of a big honest provider; honest look-alikes (busy clinics,
rehabilitation hospitals with long stays, chronic-refill pharmacies, big tertiary hospitals)
make naive rules raise false alarms.

Why: an independent check of fundguard on data it did not generate. Nothing here imports or
copies fundguard's `synthetic/` package; the mechanisms, catalogue and distributions are our own.

Files written to --out: providers, insured, catalog, claims, claim_items (Parquet by default),
labels.csv (provider outcomes, with period_from), truth.csv (every provider: fraud, pattern,
start, intensity, hidden scheme flag, look-alike), manifest.json.

    python benchmarks/standins/regions.py --out /tmp/si/region1 --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import region_care as care
import region_fraud as fraud
import region_labels as inspections
import region_settle as settle
import region_world as world
from common import Stopwatch, period_of, write_sidecars, write_tables


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--persons", type=int, default=15000)
    ap.add_argument("--months", type=int, default=13)
    ap.add_argument("--start", default="2024-01", help="first month, YYYY-MM")
    ap.add_argument(
        "--hidden-scheme", default="line_padding", choices=fraud.SCHEMES, help="the scheme no inspection ever finds"
    )
    ap.add_argument("--inspection-months", type=int, default=6, help="months with inspections (before the latest)")
    ap.add_argument("--inspections", type=int, default=10, help="providers inspected per inspection month")
    ap.add_argument("--tip-off", type=float, default=0.15, help="monthly chance a cheating provider is tipped off")
    ap.add_argument(
        "--detection",
        type=float,
        nargs=2,
        default=(0.60, 0.75),
        help="range of the chance an inspection finds an ongoing fraud",
    )
    ap.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    return ap.parse_args(argv)


def simulate(rng, args) -> tuple[fraud.Region, list[fraud.Case], pd.DataFrame]:
    """The world, its honest care and the planted fraud (internal frames, prices not yet set)."""
    start = pd.Timestamp(f"{args.start}-01")
    prov = world.build_providers(rng)
    world.plant_lookalikes(rng, prov)
    persons = world.build_insured(rng, args.persons)
    care.assign_homes(rng, persons, prov)
    claims = care.honest_claims(rng, persons, prov, start, args.months)
    lines = care.claim_lines(rng, claims, prov, world.recipe_table())
    region = fraud.Region(claims, lines, persons, prov, start, args.months)
    cases = fraud.choose_cases(rng, prov, args.months)
    fraud.plant(rng, region, cases)
    return region, cases, world.build_catalog()


def contract_tables(rng, region: fraud.Region, catalog: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """The five contract tables, and the internal claims with their payments (for labels and truth)."""
    items = settle.price_lines(rng, region.lines, region.claims, region.prov, catalog)
    paid = settle.pay(region.claims, items, region.persons, region.prov, catalog)
    claims, ids = settle.contract_claims(paid, region.persons, region.prov)
    items["claim_id"] = items["cid"].map(ids.set_index("cid")["claim_id"])
    items = items.sort_values(["claim_id", "line_no"])[
        ["claim_id", "line_no", "item_code", "quantity", "unit_price", "amount", "service_date"]
    ]
    providers = region.prov[
        ["provider_id", "provider_type", "level", "ownership", "region", "beds", "staff", "contract_start"]
    ]
    insured = region.persons[["person_id", "sex", "birth_date", "scheme", "region"]]
    tables = {
        "providers": providers,
        "insured": insured,
        "catalog": catalog,
        "claims": claims,
        "claim_items": items.reset_index(drop=True),
    }
    return tables, paid


def facts(tables: dict, labels: pd.DataFrame, truth: pd.DataFrame, args) -> dict:
    """Headline figures for the manifest and the console."""
    claims = tables["claims"]
    return {
        "providers": len(tables["providers"]),
        "insured": len(tables["insured"]),
        "claims": len(claims),
        "lines": len(tables["claim_items"]),
        "settings": claims["setting"].value_counts().to_dict(),
        "fraud_providers": int(truth["fraud"].sum()),
        "schemes": truth.loc[truth["fraud"] == 1, "pattern"].value_counts().to_dict(),
        "hidden_scheme": args.hidden_scheme,
        "label_rows": len(labels),
        "labelled_providers": int(labels["entity_id"].nunique()),
        "fraud_labels": int((labels["outcome"] == "fraud").sum()),
        "fraud_providers_labelled_fraud": int(labels.loc[labels["outcome"] == "fraud", "entity_id"].nunique()),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    clock, rng = Stopwatch(), np.random.default_rng(args.seed)
    region, cases, catalog = simulate(rng, args)
    tables, paid = contract_tables(rng, region, catalog)
    labels = inspections.inspect(rng, paid, region.prov, cases, region.start, args.months, args)
    truth = inspections.truth_table(paid, region.prov, cases, region.start, args.hidden_scheme)
    write_tables(args.out, tables, args.format)
    summary = facts(tables, labels, truth, args)
    periods = [period_of(region.start), period_of(region.start + pd.DateOffset(months=args.months - 1))]
    write_sidecars(
        args.out,
        labels,
        truth,
        {"standin": "regions", "seed": args.seed, "args": vars(args), "periods": periods, **summary},
    )
    print(
        f"region stand-in (seed {args.seed}) -> {args.out} in {clock}: "
        + ", ".join(f"{k} {v}" for k, v in summary.items())
    )


if __name__ == "__main__":
    main()
