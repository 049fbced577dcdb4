"""Contest: fundguard's command line against simple baselines on one stand-in dataset.

    python benchmarks/contest.py DATASET_DIR [--withhold 0.3] [--seed 0] [--k N] [--json FILE]

Runs fundguard exactly as a user would (`validate`, `train`, `score` through the CLI) in a fresh
temporary work folder, with every piece of state (MLflow store, outcomes database, reports,
scores) pointed there, and the dataset only read (its tables are symlinked into the work folder;
labels.csv and truth.csv are not). Then it measures fundguard's provider list and three simple
baselines on the same entities in the same run and prints one table.

Two ways of measuring, chosen from the labels (or with --mode):

- withhold (labels cover most providers, like the US inpatient stand-in): a seeded random share
  of the labelled providers is held out of the labels given to `train`; ROC-AUC and precision@k
  (k = min(50, n/3)) are measured on the held-out providers only.
- truth (labels scarce and biased, like the synthetic regions): precision@k (k = 20) of the whole
  provider list against truth.csv, ROC-AUC against truth, and the share of the never-labelled
  scheme's providers that reach the top 10%.

Baselines: biggest spenders (fund paid over the 12 months up to the scored month), most rule hits
(fundguard's own `rule_hits` column of the list), a plain LightGBM on 14 raw 12-month provider
aggregates trained on the same training labels, and (truth mode) that LightGBM blended with an
isolation forest by rank average. Providers missing from a list rank at the bottom; ties are
broken at random (seeded). A fundguard crash is reported (exit codes, tail of its output), not
hidden: the baselines are still measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ("providers", "insured", "catalog", "claims", "claim_items")
DEFAULT_FUNDGUARD = "/work/main/.venv/bin/fundguard"
CONF_DIR = "/work/main/conf"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", type=Path, help="stand-in dataset folder (tables, labels.csv, truth.csv)")
    ap.add_argument("--withhold", type=float, default=0.3, help="share of labelled providers held out (withhold mode)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the hold-out split and tie-breaking")
    ap.add_argument("--k", type=int, default=None, help="precision@k (default: min(50, n/3) withhold, 20 truth)")
    ap.add_argument("--mode", choices=("auto", "withhold", "truth"), default="auto")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--fundguard",
        default=DEFAULT_FUNDGUARD,
        help="the command to run (e.g. 'env PYTHONPATH=/tmp/snapshot /work/main/.venv/bin/fundguard')",
    )
    ap.add_argument("--until", default=None, help="pass --until YYYY-MM to `fundguard train` (default: not passed)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed per fundguard command")
    ap.add_argument("--workdir", type=Path, default=None, help="parent of the temporary work folder (default: /tmp)")
    return ap.parse_args(argv)


# ---------------------------------------------------------------- reading the dataset


def table_file(folder: Path, name: str) -> Path:
    """NAME.parquet, else NAME.csv (the contract's rule)."""
    for suffix in (".parquet", ".csv"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    raise SystemExit(f"contest: {folder} has no {name}.parquet or {name}.csv")


def read_table(folder: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One table of the dataset (only `columns`), ids read as text."""
    path = table_file(folder, name)
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, usecols=columns, dtype={c: "str" for c in (columns or []) if c.endswith("_id")})


def load_claims(folder: Path) -> pd.DataFrame:
    """The claims columns the baselines need, with each claim's line count and settlement month."""
    cols = [
        "claim_id",
        "person_id",
        "provider_id",
        "doctor_id",
        "setting",
        "admit_date",
        "discharge_date",
        "settle_time",
        "diagnosis",
        "total_amount",
        "fund_paid",
    ]
    claims = read_table(folder, "claims", cols)
    lines = read_table(folder, "claim_items", ["claim_id"])["claim_id"].astype(str).value_counts()
    claims["claim_id"] = claims["claim_id"].astype(str)
    claims["n_lines"] = claims["claim_id"].map(lines).fillna(0).to_numpy()
    claims["period"] = pd.to_datetime(claims["settle_time"], format="ISO8601").dt.strftime("%Y-%m")
    for col in ("admit_date", "discharge_date"):
        claims[col] = pd.to_datetime(claims[col], format="ISO8601")
    return claims


def provider_labels(labels: pd.DataFrame) -> pd.Series:
    """1 if any of a provider's labels is fraud, else 0, indexed by provider id."""
    prov = labels[labels["entity_type"] == "provider"]
    return prov.groupby(prov["entity_id"].astype(str))["outcome"].agg(lambda o: int((o == "fraud").any()))


# ---------------------------------------------------------------- the work folder and fundguard's runs


@dataclass
class Run:
    """One fundguard command: its arguments, exit code, seconds and output (stdout and stderr)."""

    step: str
    args: list[str]
    code: int | None = None
    seconds: float = 0.0
    output: str = ""

    def tail(self, lines: int = 15) -> str:
        """fundguard's own error lines (if any), then the last `lines` lines of its output."""
        text = self.output.rstrip().splitlines()
        said = [t for t in text if t.lower().startswith("error")][-3:]
        head = ["fundguard said: " + t for t in said] + (["..."] if said else [])
        return "\n".join(head + text[-lines:])


def make_workdir(dataset: Path, parent: Path | None) -> Path:
    """A fresh work folder holding `data/` with symlinks to the dataset's five tables (nothing else)."""
    work = Path(tempfile.mkdtemp(prefix="contest-", dir=parent))
    data = work / "data"
    data.mkdir()
    for name in TABLES:
        source = table_file(dataset, name).resolve()
        (data / source.name).symlink_to(source)
    for sub in ("reports", "scores", "contest_logs"):
        (work / sub).mkdir()
    return work


def fundguard_env(work: Path) -> dict[str, str]:
    """The environment of every fundguard run: all state in the work folder, the project's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDGUARD_", "MLFLOW_"))}
    env.update(
        {
            "FUNDGUARD_DATA_DIR": str(work),
            "FUNDGUARD_REPORTS_DIR": str(work / "reports"),
            "FUNDGUARD_SCORES_DIR": str(work / "scores"),
            "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
            "FUNDGUARD_OUTCOMES_URL": f"sqlite:///{work / 'outcomes.db'}",
            "FUNDGUARD_CONF_DIR": CONF_DIR,
        }
    )
    return env


def run_fundguard(command: str, step: str, args: list[str], work: Path, timeout: int) -> Run:
    """Run one fundguard command in the work folder; its output goes to contest_logs/<step>.log as well."""
    run = Run(step, args)
    started = time.perf_counter()
    print(f"[contest] fundguard {step} ...", flush=True)
    try:
        done = subprocess.run(
            shlex.split(command) + [step] + args,
            cwd=work,
            env=fundguard_env(work),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
        run.code, run.output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as exc:
        run.code, run.output = None, f"{exc.output or ''}\n[contest] timed out after {timeout} s"
    run.seconds = time.perf_counter() - started
    (work / "contest_logs" / f"{step}.log").write_text(run.output)
    print(f"[contest] fundguard {step}: exit {run.code} in {run.seconds:.0f} s", flush=True)
    return run


def run_all(args, work: Path, train_labels: Path) -> list[Run]:
    """validate → train → score, each run whatever the previous one did (a failure is a result)."""
    data, out = str(work / "data"), str(work / "scores")
    until = ["--until", args.until] if args.until else []
    steps = [
        ("validate", ["--data", data, "--labels", str(train_labels)]),
        ("train", ["--data", data, "--labels", str(train_labels)] + until),
        ("score", ["--data", data, "--out", out, "--labels", str(train_labels)]),
    ]
    return [run_fundguard(args.fundguard, step, argv, work, args.timeout) for step, argv in steps]


def read_provider_list(work: Path) -> tuple[pd.DataFrame | None, str | None]:
    """fundguard's scored provider list and its period, if `score` wrote one."""
    found = sorted((work / "scores").glob("*/providers.parquet")) or sorted((work / "scores").glob("*/providers.csv"))
    if not found:
        return None, None
    path = found[-1]
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"entity_id": "str"})
    table["entity_id"] = table["entity_id"].astype(str)
    return table, path.parent.name


def dataset_snapshot(dataset: Path) -> dict[str, tuple[int, float]]:
    """Size and modification time of every file in the dataset, to prove it was left alone."""
    return {
        str(p.relative_to(dataset)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(dataset.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- labels: what train sees, what is measured


def choose_mode(requested: str, labels: pd.DataFrame, claims: pd.DataFrame) -> str:
    """withhold when labels cover at least half the providers that have claims, else truth."""
    if requested != "auto":
        return requested
    active = claims["provider_id"].astype(str).nunique()
    return "withhold" if provider_labels(labels).size >= 0.5 * active else "truth"


def split_labels(labels: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.Index]:
    """Training labels without a seeded random `share` of labelled providers, and those held out."""
    ids = np.array(sorted(provider_labels(labels).index))
    held = pd.Index(np.random.default_rng(seed).permutation(ids)[: round(share * len(ids))])
    keep = ~((labels["entity_type"] == "provider") & labels["entity_id"].astype(str).isin(held))
    return labels[keep], held


# ---------------------------------------------------------------- baselines

FEATURES = [
    "claims",
    "persons",
    "fund",
    "total",
    "mean_cost",
    "median_cost",
    "mean_los",
    "inpatient",
    "outpatient",
    "pharmacy",
    "doctors",
    "diagnoses",
    "lines_per_claim",
    "fund_per_person",
]


def last_12_months(period: str) -> list[str]:
    """`period` and the 11 months before it, as YYYY-MM."""
    end = pd.Period(period, freq="M")
    return [str(end - i) for i in range(12)]


def aggregates(claims: pd.DataFrame, period: str, providers: pd.Index) -> pd.DataFrame:
    """14 raw provider aggregates over the 12 months up to and including `period` (0 where no claims)."""
    c = claims[claims["period"].isin(last_12_months(period))].copy()
    c["los"] = np.where(c["setting"] == "inpatient", (c["discharge_date"] - c["admit_date"]).dt.days, np.nan)
    g = c.groupby(c["provider_id"].astype(str))
    feats = pd.DataFrame(
        {
            "claims": g.size(),
            "persons": g["person_id"].nunique(),
            "fund": g["fund_paid"].sum(),
            "total": g["total_amount"].sum(),
            "mean_cost": g["total_amount"].mean(),
            "median_cost": g["total_amount"].median(),
            "mean_los": g["los"].mean(),
            "doctors": g["doctor_id"].nunique(),
            "diagnoses": g["diagnosis"].nunique(),
            "lines_per_claim": g["n_lines"].mean(),
        }
    )
    settings = pd.crosstab(c["provider_id"].astype(str), c["setting"])
    for setting in ("inpatient", "outpatient", "pharmacy"):
        feats[setting] = settings.get(setting, 0)
    feats["fund_per_person"] = feats["fund"] / feats["persons"]
    return feats.reindex(providers)[FEATURES].fillna(0.0)


def lightgbm_scores(feats: pd.DataFrame, y: pd.Series, seed: int) -> pd.Series:
    """A plain LightGBM on the raw aggregates, trained on the labelled providers, scoring all."""
    import lightgbm as lgb

    y = y[y.index.isin(feats.index)]
    if y.nunique() < 2:
        return pd.Series(np.nan, index=feats.index)
    model = lgb.LGBMClassifier(
        n_estimators=200,
        learning_rate=0.05,
        num_leaves=15,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        min_child_samples=max(3, min(20, len(y) // 20)),
        random_state=seed,
        verbose=-1,
        n_jobs=1,
    )
    model.fit(feats.loc[y.index], y.to_numpy())
    return pd.Series(model.predict_proba(feats)[:, 1], index=feats.index)


def iforest_scores(feats: pd.DataFrame, seed: int) -> pd.Series:
    """Isolation forest on log-scaled aggregates of all providers; higher = more unusual."""
    from sklearn.ensemble import IsolationForest

    x = np.log1p(feats.clip(lower=0).to_numpy())
    forest = IsolationForest(n_estimators=300, random_state=seed, n_jobs=1).fit(x)
    return pd.Series(-forest.score_samples(x), index=feats.index)


def rank_average(*scores: pd.Series) -> pd.Series:
    """Mean of percentile ranks (missing scores rank lowest)."""
    return sum(s.fillna(-np.inf).rank(pct=True) for s in scores) / len(scores)


def baseline_scores(
    mode: str,
    claims: pd.DataFrame,
    period: str,
    providers: pd.Index,
    train_y: pd.Series,
    flist: pd.DataFrame | None,
    seed: int,
) -> dict[str, pd.Series]:
    """Scores of every baseline, indexed by provider id."""
    feats = aggregates(claims, period, providers)
    out = {"biggest spenders (12-month fund)": feats["fund"]}
    if flist is not None and "rule_hits" in flist:
        out["most rule hits (fundguard rule_hits)"] = flist.set_index("entity_id")["rule_hits"].reindex(providers)
    else:
        out["most rule hits (fundguard rule_hits)"] = pd.Series(np.nan, index=providers)
    out["plain LightGBM (14 aggregates)"] = lightgbm_scores(feats, train_y, seed)
    if mode == "truth":
        out["LightGBM + isolation forest (rank avg)"] = rank_average(
            out["plain LightGBM (14 aggregates)"], iforest_scores(feats, seed)
        )
    return out


# ---------------------------------------------------------------- metrics


def ranked(scores: pd.Series, entities: pd.Index, seed: int) -> pd.Index:
    """`entities` best first by score; missing scores last; ties in a seeded random order."""
    s = scores.reindex(entities).astype(float).fillna(-np.inf).to_numpy()
    tiebreak = np.random.default_rng(seed).random(len(entities))
    return entities[np.lexsort((tiebreak, -s))]


def precision_at(order: pd.Index, y: pd.Series, k: int) -> float:
    """Share of frauds among the first k of `order`."""
    return float(y.reindex(order[:k]).mean()) if k > 0 else math.nan


def auc(scores: pd.Series, y: pd.Series) -> float:
    """ROC-AUC of `scores` for `y` (missing scores count below every present one)."""
    from sklearn.metrics import roc_auc_score

    s = scores.reindex(y.index).astype(float)
    if y.nunique() < 2:
        return math.nan
    floor = s.min() - 1 if s.notna().any() else 0.0
    return float(roc_auc_score(y.to_numpy(), s.fillna(floor).to_numpy()))


def withhold_metrics(scores: pd.Series, held_y: pd.Series, k: int, seed: int) -> dict:
    """P@k and ROC-AUC on the held-out providers only."""
    order = ranked(scores, held_y.index, seed)
    return {f"P@{k}": precision_at(order, held_y, k), "ROC-AUC": auc(scores, held_y)}


def truth_metrics(scores: pd.Series, truth: pd.DataFrame, k: int, seed: int) -> dict:
    """P@k and AUC against all truth, and how much of the never-labelled scheme reaches the top 10%."""
    y = truth.set_index("entity_id")["fraud"].astype(int)
    order = ranked(scores, y.index, seed)
    hidden = truth.loc[truth["hidden"] == 1, "entity_id"] if "hidden" in truth else pd.Series(dtype=str)
    top = order[: math.ceil(0.1 * len(order))]
    share = float(np.isin(hidden, top).mean()) if len(hidden) else math.nan
    return {f"P@{k}": precision_at(order, y, k), "ROC-AUC": auc(scores, y), "hidden scheme in top 10%": share}


def measure(
    mode: str, methods: dict[str, pd.Series], held_y: pd.Series | None, truth: pd.DataFrame | None, k: int, seed: int
) -> pd.DataFrame:
    """One row per method, one column per metric."""
    rows = {}
    for name, scores in methods.items():
        rows[name] = (
            withhold_metrics(scores, held_y, k, seed) if mode == "withhold" else truth_metrics(scores, truth, k, seed)
        )
        if scores.notna().sum() == 0:  # no list (fundguard failed) or no model: no figures, not random ones
            rows[name] = {metric: math.nan for metric in rows[name]}
    return pd.DataFrame(rows).T


# ---------------------------------------------------------------- putting it together


@dataclass
class Setup:
    """What the contest measures on: the mode, the labels train sees, the held-out providers, k."""

    mode: str
    train_labels: pd.DataFrame
    held_y: pd.Series | None
    truth: pd.DataFrame | None
    k: int
    notes: list[str] = field(default_factory=list)


def prepare(args, labels: pd.DataFrame, truth: pd.DataFrame | None, claims: pd.DataFrame) -> Setup:
    """Choose the mode, split the labels (withhold mode) and fix k."""
    mode = choose_mode(args.mode, labels, claims)
    if mode == "withhold":
        train, held = split_labels(labels, args.withhold, args.seed)
        held_y = provider_labels(labels).reindex(held)
        k = args.k or min(50, len(held) // 3)
        note = f"held out {len(held)} of {provider_labels(labels).size} labelled providers ({int(held_y.sum())} fraud)"
        return Setup(mode, train, held_y, truth, k, [note])
    if truth is None:
        raise SystemExit("contest: truth mode needs truth.csv in the dataset")
    note = (
        f"all {len(truth)} providers against truth.csv ({int(truth['fraud'].sum())} fraud, "
        f"{int(truth.get('hidden', pd.Series(0)).sum())} in the never-labelled scheme); "
        f"train sees all {len(labels)} label rows"
    )
    return Setup(mode, labels, None, truth, args.k or 20, [note])


def fundguard_methods(flist: pd.DataFrame | None, providers: pd.Index) -> dict[str, pd.Series]:
    """fundguard's risk_score (the ranking it hands out), and its two parts for reference."""
    out = {}
    for col, name in (
        ("risk_score", "fundguard (risk_score)"),
        ("model_score", "  fundguard model_score only"),
        ("anomaly_score", "  fundguard anomaly_score only"),
    ):
        has = flist is not None and col in flist
        out[name] = flist.set_index("entity_id")[col].reindex(providers) if has else pd.Series(np.nan, index=providers)
    return out


def random_row(setup: Setup) -> dict:
    """What a random ranking scores on average."""
    y = setup.held_y if setup.mode == "withhold" else setup.truth["fraud"]
    row = {f"P@{setup.k}": float(y.mean()), "ROC-AUC": 0.5}
    if setup.mode == "truth":
        row["hidden scheme in top 10%"] = 0.1
    return row


def report(
    dataset: Path,
    work: Path,
    setup: Setup,
    period: str,
    runs: list[Run],
    table: pd.DataFrame,
    flist: pd.DataFrame | None,
    untouched: bool,
) -> None:
    """Print the exit codes, the figures and, for failed runs, the tail of fundguard's output."""
    print(f"\n== contest on {dataset} ({setup.mode} mode), scored month {period} ==")
    print(f"work folder: {work}  (our logs of each step in {work / 'contest_logs'})")
    for note in setup.notes:
        print(note)
    listed = "no provider list" if flist is None else f"{len(flist)} providers listed by fundguard"
    print(f"{listed}; k = {setup.k}; dataset left untouched: {untouched}")
    print(
        "\nfundguard exit codes: "
        + ", ".join(f"{r.step} {r.code if r.code is not None else 'timeout'} ({r.seconds:.0f} s)" for r in runs)
    )
    print("\n" + table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="n/a"))
    for r in runs:
        if r.code != 0:
            print(f"\n-- fundguard {r.step} failed (exit {r.code}); last lines of its output:\n{r.tail()}")


def write_json(
    path: Path,
    dataset: Path,
    work: Path,
    setup: Setup,
    period: str,
    runs: list[Run],
    table: pd.DataFrame,
    untouched: bool,
) -> None:
    """The figures, exit codes and setup as JSON, for scripts."""
    figures = {m: {c: (None if pd.isna(v) else float(v)) for c, v in row.items()} for m, row in table.iterrows()}
    doc = {
        "dataset": str(dataset),
        "mode": setup.mode,
        "work": str(work),
        "period": period,
        "k": setup.k,
        "notes": setup.notes,
        "dataset_untouched": untouched,
        "runs": [{"step": r.step, "exit": r.code, "seconds": round(r.seconds, 1)} for r in runs],
        "metrics": {m.strip(): v for m, v in figures.items()},
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


def main(argv=None) -> int:
    """Read the dataset, run fundguard in a fresh work folder, measure everyone, report."""
    args = parse_args(argv)
    dataset = args.dataset.resolve()
    before = dataset_snapshot(dataset)
    labels = pd.read_csv(dataset / "labels.csv", dtype={"entity_id": "str", "period": "str"})
    truth_path = dataset / "truth.csv"
    truth = pd.read_csv(truth_path, dtype={"entity_id": "str"}) if truth_path.is_file() else None
    claims = load_claims(dataset)
    providers = pd.Index(read_table(dataset, "providers", ["provider_id"])["provider_id"].astype(str))
    setup = prepare(args, labels, truth, claims)
    work = make_workdir(dataset, args.workdir)
    setup.train_labels.to_csv(work / "labels_train.csv", index=False)
    runs = run_all(args, work, work / "labels_train.csv")
    flist, period = read_provider_list(work)
    period = period or claims["period"].max()
    methods = {
        **fundguard_methods(flist, providers),
        **baseline_scores(setup.mode, claims, period, providers, provider_labels(setup.train_labels), flist, args.seed),
    }
    table = measure(setup.mode, methods, setup.held_y, setup.truth, setup.k, args.seed)
    table.loc["random (expected)"] = random_row(setup)
    untouched = dataset_snapshot(dataset) == before
    report(dataset, work, setup, period, runs, table, flist, untouched)
    if args.json:
        write_json(args.json, dataset, work, setup, period, runs, table, untouched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
