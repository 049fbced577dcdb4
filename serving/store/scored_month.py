"""The scored-month folder: writing it (lists as CSV, Parquet and Excel, case files, report,
manifest) and reading it back (the web app), its layout defined once here.

Each run writes a new version folder, `<out>/.versions/<YYYY-MM>.<id>/`, and then points the
month's name, `<out>/<YYYY-MM>`, at it: a symbolic link replaced in one atomic step (a temporary
link renamed over the old one), so a reader sees the old month or the new one, never a missing or
half-written one, even when the run is killed at any moment. The next write of that month removes
what a killed run left behind (unfinished versions, temporary links) and versions older than the
one it replaces (the one just replaced is kept until then, for readers still on it). A month
written before versions existed is a plain folder: the next write moves it into `.versions` and
links its name (that first switch is two renames). Identical inputs and models give identical
bytes (no wall-clock times, fixed zip entry dates in the workbook).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from data_contracts.vocabulary import is_period, shift
from serving.scoring.ranking import GRADE_RULE
from serving.store.workbook import excel_safe, workbook_bytes

WORKBOOK_ROWS = 5000  # per sheet: the supervisor's list; full rankings stay in the CSV and Parquet files
VERSIONS = ".versions"
STALE_PARTIAL_SECONDS = 24 * 3600  # an unfinished version this old is a leftover even if its pid was reused


def month_manifest(
    period: str,
    data: str,
    models: dict[str, str],
    stamps: dict[str, str],
    request: dict,
    rows: dict[str, int],
    lookback_months: int,
) -> dict:
    """What manifest.json of a scored month says: the period, the data folder it came from, the
    model versions, the stamps (data fingerprint, code and rules versions), the request, the rows
    listed, the credit-grade rule and the look-back the features used."""
    return {
        "period": period,
        "data": data,
        "models": models,
        **stamps,
        "credit_grades": GRADE_RULE,
        "request": request,
        "rows": rows,
        "lookback_months": lookback_months,
    }


def write_period(
    target: Path, lists: dict[str, pd.DataFrame], cases: dict[str, dict], report_html: str, manifest: dict
) -> Path:
    """Write every output of one period and make `target` name it, in one atomic switch (see the
    module's docstring); a failure leaves `target` as it was. Returns `target`."""
    target = Path(target)
    versions = target.parent / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    version = versions / f"{target.name}.{uuid.uuid4().hex[:12]}"
    partial = version.with_name(f"{version.name}.partial-{os.getpid()}")
    partial.mkdir()
    try:
        _fill(partial, lists, cases, report_html, manifest)
        partial.rename(version)
        _point(target, version)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _fill(
    folder: Path, lists: dict[str, pd.DataFrame], cases: dict[str, dict], report_html: str, manifest: dict
) -> None:
    for entity, table in lists.items():
        name = f"{entity}s"
        excel_safe(table).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")  # opened in Excel
        table.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "inspection_list.xlsx").write_bytes(workbook_bytes({e: t.head(WORKBOOK_ROWS) for e, t in lists.items()}))
    for key, case in cases.items():
        path = folder / "cases" / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(case, ensure_ascii=False, indent=1, sort_keys=True, default=str))
    (folder / "report.html").write_text(report_html, encoding="utf-8")
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    )


def _point(target: Path, version: Path) -> None:
    """Make `target` a link to `version` with one rename of a temporary link over it (relative,
    so the scores folder can be moved or mounted elsewhere)."""
    link = target.with_name(f".{target.name}.link-{uuid.uuid4().hex[:8]}")
    os.symlink(os.path.relpath(version, target.parent), link)
    try:
        if target.is_dir() and not target.is_symlink():  # written before versions: becomes an old version
            target.rename(version.with_name(f"{target.name}.{uuid.uuid4().hex[:12]}"))
        os.replace(link, target)
    finally:
        if link.is_symlink():
            link.unlink()


def clean_leftovers(target: Path) -> list[Path]:
    """Remove what earlier writes of `target` left: versions it no longer names (unfinished ones
    only once their process is gone), temporary links, and the temporary folders of the older
    two-rename writer. Returns what was removed."""
    target = Path(target)
    current = target.resolve() if target.is_symlink() else None
    version = re.compile(re.escape(target.name) + r"\.[0-9a-f]{12}(?:\.partial-(\d+))?")
    removed = []
    versions = target.parent / VERSIONS
    for entry in sorted(versions.iterdir()) if versions.is_dir() else []:
        found = version.fullmatch(entry.name)
        if found is None or entry.resolve() == current:
            continue
        if (
            found.group(1)
            and _running(int(found.group(1)))
            and time.time() - entry.stat().st_mtime < STALE_PARTIAL_SECONDS
        ):
            continue  # another run of this month is writing it now
        removed.append(entry)
    aside = re.compile(r"\." + re.escape(target.name) + r"\.(?:tmp|old|link)-[0-9a-f]{8}")
    removed += [e for e in sorted(target.parent.iterdir()) if aside.fullmatch(e.name)]
    for entry in removed:
        if entry.is_symlink() or entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is writing only the version it is about to create
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


FILES = {"provider": "providers.parquet", "person": "persons.parquet"}
DEFAULT_LOOKBACK = 12  # months of risk history for a month scored before manifests recorded their look-back
CACHED_TABLES = 8  # lists kept in memory (a city's person list is ~130k rows)
CACHED_CASES = 256  # parsed case files (a few hundred kB each at most)
CACHED_RANKS = 2 * 26  # id -> risk and rank of a list (narrow): two entity types, two years of months


class ScoreStore:
    """The scored months under `root`, read-only: plain month folders (written before versions)
    and month links to version folders alike."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[tuple[str, Path], tuple[int, object]] = {}
        self._cases: dict[Path, tuple[int, dict]] = {}
        self._lock = threading.Lock()

    def periods(self) -> list[str]:
        """Scored periods, newest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if not p.name.startswith(".") and p.is_dir() and self.has(p.name)]
        return sorted(found, reverse=True)

    def has(self, period: str) -> bool:
        return is_period(period) and all((self.root / period / f).is_file() for f in FILES.values())

    def table(self, period: str, entity: str) -> pd.DataFrame:
        """The full ranked list of one entity type (as written; cached until the file changes, or
        the month's link names another version)."""
        return self._cached(period, entity, "table", CACHED_TABLES, self._read_table)

    def _cached(self, period: str, entity: str, kind: str, keep: int, read):
        """`read(file)` of one month's list, kept in memory (up to `keep` of this kind, oldest
        dropped first) until the file changes or the month's link names another version."""
        file = (self.root / period / FILES[entity]).resolve()
        stamp = file.stat().st_mtime_ns
        key = (kind, file)
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] == stamp:
                return hit[1]
        value = read(file)
        with self._lock:
            self._cache[key] = (stamp, value)
            mine = [k for k in self._cache if k[0] == kind]
            for old in mine[: max(0, len(mine) - keep)]:  # oldest first: a long history does not pile up
                self._cache.pop(old)
        return value

    @staticmethod
    def _read_table(file: Path) -> pd.DataFrame:
        table = pd.read_parquet(file)
        table["entity_id"] = table["entity_id"].astype("str")
        return table

    @staticmethod
    def _read_ranks(file: Path) -> pd.DataFrame:
        """Risk score and rank by entity id: the narrow slice of a list a case's timeline needs."""
        ranks = pd.read_parquet(file, columns=["entity_id", "risk_score", "rank"])
        return ranks.set_index(ranks["entity_id"].astype("str"))[["risk_score", "rank"]]

    def count(self, period: str, entity: str) -> int:
        """Rows of a list, from the Parquet footer (the list itself is not read)."""
        return pq.ParquetFile(self.root / period / FILES[entity]).metadata.num_rows

    def manifest(self, period: str) -> dict:
        file = self.root / period / "manifest.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    def case(self, period: str, entity: str, entity_id: str) -> dict | None:
        """The case file, or None when scoring wrote none for this entity (it writes them for the
        top of each list); the last few read are kept parsed (callers only read them)."""
        if "/" in entity_id or "\\" in entity_id or entity_id.startswith("."):
            return None
        file = (self.root / period / "cases" / entity / f"{entity_id}.json").resolve()
        try:
            stamp = file.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            hit = self._cases.get(file)
            if hit and hit[0] == stamp:
                return hit[1]
        case = json.loads(file.read_text(encoding="utf-8"))
        with self._lock:
            self._cases[file] = (stamp, case)
            while len(self._cases) > CACHED_CASES:
                self._cases.pop(next(iter(self._cases)))
        return case

    def index(self, period: str, entity: str) -> pd.Index:
        """The list's entity ids as an index (hashed lookups; worked out once per list file)."""
        return self.derived(period, entity, "index", lambda table: pd.Index(table["entity_id"]))

    def derived(self, period: str, entity: str, kind: str, make):
        """`make(list)`, worked out once per list file and kept beside it (an index, the filter
        choices): a city's person list is ~130k rows, too many to go through on every request."""
        table = self.table(period, entity)
        return self._cached(period, entity, kind, CACHED_TABLES, lambda _: make(table))

    def row(self, period: str, entity: str, entity_id: str) -> dict | None:
        """One entity's row of the list."""
        at = _position(self.index(period, entity), entity_id)
        return None if at < 0 else self.table(period, entity).iloc[at].to_dict()

    def risk_history(self, entity: str, entity_id: str, period: str) -> pd.DataFrame:
        """The entity's risk score and rank in the scored periods its case timeline covers (the
        look-back `period` was scored with, and `period`), oldest first; reads only its row of each list."""
        lookback = int(self.manifest(period).get("lookback_months", DEFAULT_LOOKBACK))
        first = shift(period, -lookback)
        rows = []
        for month in [p for p in sorted(self.periods()) if first <= p <= period]:
            ranks = self._cached(month, entity, "ranks", CACHED_RANKS, self._read_ranks)
            at = _position(ranks.index, entity_id)
            if at >= 0:
                rows.append(
                    {
                        "period": month,
                        "risk_score": float(ranks["risk_score"].iloc[at]),
                        "rank": int(ranks["rank"].iloc[at]),
                    }
                )
        return pd.DataFrame(rows, columns=["period", "risk_score", "rank"])


def _position(index: pd.Index, key: str) -> int:
    """Where `key` first is in `index` (-1: not there); hashed when the ids are unique, as they are
    in a list `write_period` wrote."""
    if index.is_unique:
        return int(index.get_indexer([key])[0])
    hits = (index == key).nonzero()[0]
    return int(hits[0]) if len(hits) else -1
