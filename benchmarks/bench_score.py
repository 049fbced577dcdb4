"""City-scale speed and memory of scoring one month: features, lists with SHAP reasons for every
entity, case files, workbook and report, against plain model scoring of the same rows.

    python benchmarks/bench_score.py [--data DIR] [--period 2025-12] [--models FILE] [--profile FILE]

Target (issue: scoring): one city-scale month, both entity types, SHAP for every entity, the
workbook and the report in <= 120 s on 2 cores. Measured, each on its own and in total:
`build_feature_set` for the period (12 months of history), `score_period` (case files for twice
the monthly capacity: 60 providers, 200 persons), `render_report` and `write_period` (into a
temporary folder). `load_dataset` and the data fingerprint are timed too but are not part of the
total (the target is about the scoring work; the feature benchmark covers loading). Inside
`score_period` the time in SHAP, reasons, list building and case files is shown, and inside
`write_period` the workbook's.

Models are not part of the figure: they are trained first, in a child process (so the peak
memory shown is the scoring run's), with `train_models` on the city data's own feature sets of
the five months before the period (the fewest that give one rolling-origin fold) and one
validation fold. `--models FILE` keeps them in FILE (pickle) and reuses them on the next run.

Baseline in the same run: `RiskModel.predict` (the blended risk score: classifier, isolation
forest, peer outliers) of both models on the same feature rows, without SHAP, reasons, lists,
case files or outputs. `--profile FILE` also runs the measured steps under cProfile (slower; the
timings printed are then inflated) and prints the top costs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pickle
import pstats
import resource
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

TARGET_S = 120
CASES = {"provider": 60, "person": 200}  # 2 x capacity: 5% of 600 providers, 100 persons
TRAIN_MONTHS = 5  # fewest months giving one rolling-origin fold (3 train, gap, validate)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def train(data: str, period: str) -> tuple[dict, dict]:
    """Both models trained on the TRAIN_MONTHS months before `period` (run in a child process)."""
    warnings.filterwarnings("ignore")
    from data_contracts.tables import load_dataset, load_labels
    from data_contracts.vocabulary import shift
    from features.build import build_feature_set
    from models.job import train_models
    from pipelines.settings import ModelSettings, train_configs

    start = time.perf_counter()
    tables, labels = load_dataset(Path(data)), load_labels(Path(data) / "labels.csv")
    months = [shift(period, -k) for k in range(TRAIN_MONTHS, 0, -1)]
    feature_sets = {p: build_feature_set(tables, p) for p in months}
    t_features = time.perf_counter() - start
    configs = train_configs(ModelSettings(validation_folds=1))
    outcomes = train_models(feature_sets, labels, months[-1], configs)
    models = {e: (o.result.model, f"bench-{months[0]}..{months[-1]}") for e, o in outcomes.items()}
    info = {
        "months": months,
        "features_s": t_features,
        "fit_s": time.perf_counter() - start - t_features,
        "trees": {
            e: m.classifier_.booster_.num_trees() if hasattr(m.classifier_, "booster_") else 0
            for e, (m, _) in models.items()
        },
    }
    return models, info


class Parts:
    """Seconds spent in named functions of a module while the measured steps run (the module's
    own attribute is wrapped, so calls from inside that module are counted; nested ones too)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def watch(self, module, *names: str) -> None:
        for name in names:
            setattr(module, name, self._timed(name, getattr(module, name)))

    def _timed(self, name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

        return wrapper


def trained_models(data: Path, period: str, cache: Path | None) -> tuple[dict, dict]:
    if cache and cache.is_file():
        with open(cache, "rb") as fh:
            models, info = pickle.load(fh)
        return models, {**info, "cached": str(cache)}
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        models, info = pool.submit(train, str(data), period).result()
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache, "wb") as fh:
            pickle.dump((models, info), fh)
    return models, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", type=Path, default=Path("data/bench/city"), help="city-scale dataset (generated there if missing)"
    )
    ap.add_argument("--period", default="2025-12", help="month to score, YYYY-MM (default 2025-12)")
    ap.add_argument("--seed", type=int, default=20260101, help="generator seed when the data is missing")
    ap.add_argument("--models", type=Path, default=None, help="pickle to reuse trained models from (or save to)")
    ap.add_argument("--profile", type=Path, default=None, help="also profile the measured steps into this file")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    cores = len(os.sched_getaffinity(0))
    load_start = load()

    if not (args.data / "claims.parquet").exists():
        from synthetic.generate import generate

        print(f"generating city-scale data into {args.data} ...", flush=True)
        generate(args.data, scale="city", seed=args.seed)

    start = time.perf_counter()
    models, info = trained_models(args.data, args.period, args.models)
    t_train = time.perf_counter() - start
    how = (
        f"reused from {info['cached']}"
        if "cached" in info
        else f"trained in {t_train:.0f} s (features {info['features_s']:.0f} s, fit {info['fit_s']:.0f} s)"
    )
    print(
        f"models: train_models on {info['months'][0]}..{info['months'][-1]} of the same data, one fold; "
        f"trees {info['trees']}; {how} — not measured",
        flush=True,
    )

    # imported after the fork, so the training child does not carry them
    import serving.scoring.period
    import serving.store.scored_month
    from data_contracts.tables import load_dataset, load_labels
    from features.build import build_feature_set
    from pipelines.io import code_version, dataset_fingerprint
    from serving.report.render import render_report
    from serving.scoring.period import score_period
    from serving.scoring.ranking import GRADE_RULE, ListOptions, model_rows
    from serving.store.scored_month import write_period

    parts = Parts()
    parts.watch(serving.scoring.period, "shap_values", "reasons", "build_list", "_case")
    parts.watch(serving.store.scored_month, "workbook_bytes")

    gc.collect()
    labels_path = args.data / "labels.csv"
    t_load, (tables, labels) = timed(lambda: (load_dataset(args.data), load_labels(labels_path)))
    t_stamp, stamps = timed(
        lambda: {"data_fingerprint": dataset_fingerprint(args.data, [labels_path]), "code_version": code_version()}
    )
    gb_load = peak_gb()

    profiler = cProfile.Profile() if args.profile else None
    steps = {}
    steps["build_feature_set"], fs = timed(build_feature_set, tables, args.period)
    gb_features = peak_gb()
    options = {e: ListOptions() for e in CASES}  # the monthly run's defaults: every active entity listed
    if profiler:
        profiler.enable()
    steps["score_period"], scored = timed(score_period, tables, labels, fs, models, options, "en", 1, stamps, CASES)
    steps["render_report"], html = timed(render_report, scored.report)
    manifest = {
        "period": args.period,
        "models": {e: v for e, (_, v) in models.items()},
        **stamps,
        "credit_grades": GRADE_RULE,
        "rows": {e: len(lst.listed) for e, lst in scored.lists.items()},
    }
    with tempfile.TemporaryDirectory(prefix="bench_score_") as tmp:
        lists = {e: lst.listed for e, lst in scored.lists.items()}
        steps["write_period"], target = timed(
            write_period, Path(tmp) / args.period, lists, scored.cases, html, manifest
        )
        sizes = {p.name: p.stat().st_size for p in target.iterdir() if p.is_file()}
        n_cases = sum(1 for _ in (target / "cases").rglob("*.json"))
    if profiler:
        profiler.disable()
    gb_end = peak_gb()

    # baseline: the blended risk score of both models on the same rows, nothing else
    rows = {e: model_rows(e, fs, labels, 1) for e in CASES}
    t_base = 0.0
    for entity, (model, _) in models.items():
        secs, _ = timed(model.predict, rows[entity])
        t_base += secs
    total = sum(steps.values())
    measured = steps["score_period"] + steps["render_report"] + steps["write_period"]

    print(f"{args.data} {args.period}, {cores} cores, load average at start {load_start}, at end {load()}")
    print(
        f"rows scored: {len(fs.provider):,} providers, {len(fs.person):,} persons; listed "
        f"{', '.join(f'{e} {len(x):,}' for e, x in lists.items())}; {n_cases} case files; "
        f"workbook {sizes.get('inspection_list.xlsx', 0) / 1e6:.1f} MB, "
        f"report {sizes.get('report.html', 0) / 1e6:.1f} MB"
    )
    print(f"{'step':<34}{'seconds':>9}{'peak GB':>9}")
    print(f"{'(load_dataset + labels)':<34}{t_load:>9.2f}{'':>9}")
    print(f"{'(data fingerprint, code version)':<34}{t_stamp:>9.2f}{gb_load:>9.2f}")
    inside = {"score_period": ("shap_values", "reasons", "build_list", "_case"), "write_period": ("workbook_bytes",)}
    for step, secs in steps.items():
        gb = gb_features if step == "build_feature_set" else gb_end if step == "write_period" else None
        print(f"{step:<34}{secs:>9.2f}{'' if gb is None else f'{gb:.2f}':>9}")
        for name in inside.get(step, ()):
            print(f"  {name + (' (case files)' if name == '_case' else ''):<32}{parts.seconds.get(name, 0.0):>9.2f}")
        if step in inside:
            print(f"  {'(the rest)':<32}{secs - sum(parts.seconds.get(n, 0.0) for n in inside[step]):>9.2f}")
    verdict = "PASS" if total <= TARGET_S else "FAIL"
    print(
        f"total (features + score + report + write): {total:.1f} s against the {TARGET_S} s target: {verdict}; "
        f"with loading and fingerprint {total + t_load + t_stamp:.1f} s; peak RSS {gb_end:.2f} GB"
    )
    print(
        f"baseline: RiskModel.predict of both models on the same rows {t_base:.2f} s; "
        f"score + report + write / baseline = {measured / t_base:.0f}x; total / baseline = {total / t_base:.0f}x"
    )
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"\ncProfile of score_period + render_report + write_period (in {args.profile}):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
