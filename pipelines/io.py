"""Edges: fingerprints of the input data and the code version stamped on everything written."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

TABLE_SUFFIXES = (".parquet", ".csv")


def dataset_fingerprint(folder: Path, extra: list[Path] | None = None) -> str:
    """sha256 over the contract tables' file names and bytes (and `extra` files): same data, same print."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(folder).iterdir() if p.suffix in TABLE_SUFFIXES and p.stem in
                   {"providers", "insured", "catalog", "claims", "claim_items"})
    for path in files + [p for p in (extra or []) if p and Path(p).is_file()]:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def code_version() -> str:
    """fundguard's version and, inside a git checkout, the commit (with '+dirty' for local edits)."""
    version = metadata.version("fundguard")
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+{commit}{'.dirty' if dirty else ''}" if commit else version
