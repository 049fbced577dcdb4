"""The contest, on every data shape at hand: fundguard beside the simplest baselines.

    python benchmarks/bench_models.py [--out /tmp/fg-bench] [--only NAME ...] [--scale small]

For each dataset (made here if missing) it runs `benchmarks/contest.py` — fundguard's command line
as a user runs it, in a fresh work folder — and prints one line per dataset: fundguard's figures
and each baseline's, measured on the same entities in the same run (biggest spenders over 12
months, most rule hits, a plain LightGBM on raw 12-month aggregates), and which one won.

Datasets: our own generator's demo region and three of its profiles (fraud growing with volume and
labels covering a year; provider labels only with one line per claim; inspections covering spans),
and the stand-ins we did not tune to (benchmarks/standins: a US inpatient dataset, and Chinese-style
regions with a never-labelled scheme). The generator's per-month truth is turned into the contest's
per-provider truth (a provider planted in the scored month is a fraud).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TABLES = ("providers", "insured", "catalog", "claims", "claim_items")
OURS = {
    "demo": "standard",
    "volume_fraud": "volume_fraud",
    "provider_labels_one_line": "provider_labels_only,one_line_per_claim",
    "span_labels": "span_labels",
}
STANDINS = {
    "us_inpatient_1": ("us_inpatient.py", 1),
    "us_inpatient_2": ("us_inpatient.py", 2),
    "region_1": ("regions.py", 1),
    "region_2": ("regions.py", 2),
    "region_3": ("regions.py", 3),
}


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def _ours(name: str, profile: str, root: Path, scale: str) -> Path:
    """Our generator's region in the contest's layout: the tables linked, labels as they are, and
    per-provider truth for the scored (last) month."""
    raw, contest = root / f"raw_{name}", root / name
    if not (raw / "manifest.json").is_file():
        _run(
            [
                str(Path(PYTHON).with_name("fundguard")),
                "generate",
                "--out",
                str(raw),
                "--scale",
                scale,
                "--profile",
                profile,
            ]
        )
    if not (contest / "truth.csv").is_file():
        contest.mkdir(parents=True, exist_ok=True)
        for path in raw.iterdir():
            if path.stem in TABLES or path.name == "labels.csv":
                target = contest / path.name
                if not target.exists():
                    target.symlink_to(path.resolve())
        truth = pd.read_csv(raw / "truth.csv", dtype={"period": str, "entity_id": str})
        last = json.loads((raw / "manifest.json").read_text())["periods"][-1]
        providers = (
            pd.read_parquet(raw / "providers.parquet", columns=["provider_id"])
            if (raw / "providers.parquet").is_file()
            else pd.read_csv(raw / "providers.csv", dtype=str)
        )
        planted = truth[(truth["entity_type"] == "provider") & (truth["period"] == last)]
        pattern = planted.groupby("entity_id")["pattern"].first()
        never = json.loads((raw / "manifest.json").read_text()).get("never_labelled_pattern")
        ids = providers["provider_id"].astype(str)
        pd.DataFrame(
            {
                "entity_type": "provider",
                "entity_id": ids,
                "fraud": ids.isin(pattern.index).astype(int),
                "pattern": ids.map(pattern).fillna(""),
                "hidden": ids.map(pattern).eq(never).astype(int),
            }
        ).to_csv(contest / "truth.csv", index=False)
    return contest


def _standin(name: str, script: str, seed: int, root: Path) -> Path:
    out = root / name
    if not (out / "truth.csv").is_file():
        _run([PYTHON, str(HERE / "standins" / script), "--out", str(out), "--seed", str(seed)])
    return out


def _contest(dataset: Path, root: Path) -> dict:
    figures = root / f"{dataset.name}.json"
    _run([PYTHON, str(HERE / "contest.py"), str(dataset), "--json", str(figures)])
    return json.loads(figures.read_text())


BASELINES = (
    "biggest spenders (12-month fund)",
    "most rule hits (fundguard rule_hits)",
    "plain LightGBM (14 aggregates)",
    "LightGBM + isolation forest (rank avg)",
)


def _line(name: str, result: dict) -> str:
    """dataset: fundguard's figures, each baseline's, and whether fundguard reaches the best."""
    metrics = result.get("metrics", {})
    ours = metrics.get("fundguard (risk_score)", {})
    if not ours or any(r["exit"] for r in result.get("runs", [])):
        return f"{name:26s} fundguard failed: {[(r['step'], r['exit']) for r in result.get('runs', [])]}"
    names = [k for k in ours if not k.startswith("hidden")]
    base = {b: metrics[b] for b in BASELINES if b in metrics}
    best = {m: max(v.get(m, float("nan")) for v in base.values()) for m in names}
    verdict = (
        "reaches the best baseline"
        if all(ours[m] >= best[m] - 1e-9 for m in names)
        else "a baseline wins on " + ", ".join(m for m in names if ours[m] < best[m] - 1e-9)
    )
    shown = "  ".join(f"{m} {ours[m]:.3f} (best baseline {best[m]:.3f})" for m in names)
    hidden = ours.get("hidden scheme in top 10%")
    extra = f"  never-labelled scheme in top 10%: {hidden:.2f}" if hidden == hidden and hidden is not None else ""
    return f"{name:26s} {shown}{extra}  -> {verdict}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/fg-bench"))
    ap.add_argument("--only", nargs="*", default=None, help="dataset names to run (default: all)")
    ap.add_argument("--scale", default="small", help="scale of our generator's regions")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only or [*OURS, *STANDINS])
    results = {}
    for name, profile in OURS.items():
        if name in wanted:
            results[name] = _contest(_ours(name, profile, args.out, args.scale), args.out)
            print(_line(name, results[name]), flush=True)
    for name, (script, seed) in STANDINS.items():
        if name in wanted:
            results[name] = _contest(_standin(name, script, seed, args.out), args.out)
            print(_line(name, results[name]), flush=True)
    (args.out / "summary.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nfigures per dataset: {args.out}/<name>.json; all: {args.out / 'summary.json'}")


if __name__ == "__main__":
    main()
