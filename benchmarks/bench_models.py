"""Model quality and training time at `small` scale (the demo data), against the baselines.

    python benchmarks/bench_models.py [--data DIR] [--seed S]

Targets (issue: models): scoring the data's last month, provider precision@k >= 0.85 at
k = 5% of providers and >= 3x the biggest-spender baseline; the never-labelled pattern with at
least half of its providers in the top 10%; training both entity types in <= 120 s on 2 cores.
Baselines in the same run: random choice, biggest fund spenders, most rule hits (quality), and one
plain LightGBM fit on the same rows (time).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

from data_contracts.tables import load_dataset, load_labels
from data_contracts.vocabulary import data_periods
from features.build import build_feature_set, feature_columns
from models.job import default_until, stack, train_models
from models.supervised import make_lgbm
from pipelines.settings import ModelSettings, train_configs
from synthetic.generate import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("data/bench/small"))
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    if not (args.data / "manifest.json").exists():
        generate(args.data, scale="small", seed=args.seed)
    tables, labels = load_dataset(args.data), load_labels(args.data / "labels.csv")
    truth = pd.read_csv(args.data / "truth.csv", dtype={"period": str})
    never = pd.read_json(args.data / "manifest.json", typ="series")["never_labelled_pattern"]
    periods = data_periods(tables["claims"])
    until = default_until(periods)
    start = time.perf_counter()
    feature_sets = {p: build_feature_set(tables, p) for p in periods}
    t_features = time.perf_counter() - start
    configs = train_configs(ModelSettings())
    start = time.perf_counter()
    outcomes = train_models(feature_sets, labels, until, configs, truth, never)
    t_fit = time.perf_counter() - start
    start = time.perf_counter()
    for entity in ("provider", "person"):
        table = stack(feature_sets, entity)
        table = table[table["period"] <= until]
        make_lgbm().fit(table[feature_columns(table)], (table.index % 10 == 0).astype(int))
    t_base = time.perf_counter() - start
    print(f"data {args.data}: {len(periods)} months, trained up to {until}, scored {outcomes['provider'].test_period}")
    print(
        f"{'entity':<9}{'k':>5}{'ours':>7}{'spend':>7}{'rules':>7}{'random':>8}{'ours/spend':>11}"
        f"{'never top10%':>13}  blend"
    )
    for entity, o in outcomes.items():
        m = o.metrics
        ratio = m["test_model_precision_at_k"] / max(m["test_spend_precision_at_k"], 1e-9)
        print(
            f"{entity:<9}{int(m['test_k']):>5}{m['test_model_precision_at_k']:>7.2f}{m['test_spend_precision_at_k']:>7.2f}"
            f"{m['test_rules_precision_at_k']:>7.2f}{m['test_random_precision_at_k']:>8.3f}{ratio:>11.1f}"
            f"{m.get('test_never_labelled_in_top10pct', float('nan')):>13.2f}  {o.result.model.blend.describe()}"
        )
    p = outcomes["provider"].metrics
    checks = {
        "provider precision@k >= 0.85": p["test_model_precision_at_k"] >= 0.85,
        "provider precision@k >= 3x spend": p["test_model_precision_at_k"] >= 3 * p["test_spend_precision_at_k"],
        "never-labelled >= half in top 10%": p.get("test_never_labelled_in_top10pct", 0) >= 0.5,
        "training <= 120 s": t_features + t_fit <= 120,
    }
    recall = {k[len("test_recall_") :]: round(v, 2) for k, v in p.items() if k.startswith("test_recall_")}
    print(f"provider recall@k by pattern: {recall}")
    print(
        f"training time: features {t_features:.1f} s + fit/evaluate {t_fit:.1f} s = {t_features + t_fit:.1f} s; "
        f"one plain LightGBM fit per entity on the same rows {t_base:.1f} s (ratio {(t_features + t_fit) / t_base:.1f})"
    )
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
