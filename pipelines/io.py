"""Edges: fingerprints of the input data, the code version stamped on everything written, and
the planted truth a synthetic region carries beside its tables."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

TABLE_SUFFIXES = (".parquet", ".csv")


def dataset_fingerprint(folder: Path, extra: list[Path] | None = None) -> str:
    """sha256 over the contract tables' file names and bytes (and `extra` files): same data, same print."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in Path(folder).iterdir()
        if p.suffix in TABLE_SUFFIXES and p.stem in {"providers", "insured", "catalog", "claims", "claim_items"}
    )
    for path in files + [p for p in (extra or []) if p and Path(p).is_file()]:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def dataset_key(data: Path) -> str:
    """How scored lists and recorded outcomes name the data folder they belong to."""
    return str(Path(data).resolve())


def code_version() -> str:
    """fundguard's version and, inside a git checkout, the commit (with '+dirty' for local edits)."""
    version = metadata.version("fundguard")
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+{commit}{'.dirty' if dirty else ''}" if commit else version


def synthetic_truth(data: Path) -> tuple[pd.DataFrame | None, str | None]:
    """Planted frauds of a synthetic region (truth.csv, manifest.json's never-labelled pattern),
    if the folder is one; (None, None) for real data."""
    path = Path(data) / "truth.csv"
    if not path.is_file():
        return None, None
    truth = pd.read_csv(path, dtype={"period": str, "entity_id": str})
    if not {"entity_type", "entity_id", "period", "pattern"} <= set(truth.columns):
        return None, None
    manifest = Path(data) / "manifest.json"
    never = pd.read_json(manifest, typ="series").get("never_labelled_pattern") if manifest.is_file() else None
    return truth, never


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies inside it (after resolving links)."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def refuse_inside_inputs(outputs: dict[str, Path], inputs: list[Path]) -> None:
    """ValueError naming the output and the setting to change when any output location lies
    inside an input folder: fundguard never writes into the data it reads."""
    for what, path in outputs.items():
        for folder in inputs:
            if path is not None and folder is not None and inside(path, folder):
                raise ValueError(
                    f"{what} ({path}) would be written inside the input folder {folder}; "
                    f"fundguard never writes into the data it reads: point it elsewhere "
                    f"(FUNDGUARD_DATA_DIR, FUNDGUARD_SCORES_DIR, --out or --report)"
                )
