"""Reading what `fundguard score` wrote: the periods, their lists and case files (read-only).

The web app never runs a model: it reads `<scores>/<YYYY-MM>/{providers,persons}.parquet`,
`cases/<entity>/<id>.json` and `manifest.json`. Lists are cached per file and re-read when a
re-run of the month replaces the folder.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FILES = {"provider": "providers.parquet", "person": "persons.parquet"}
HISTORY_MONTHS = 13  # the case timeline's risk dots: the look-back window and the month
CACHED_TABLES = 8  # lists kept in memory (a city's person list is ~130k rows)


class ScoreStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[Path, tuple[float, pd.DataFrame]] = {}
        self._lock = threading.Lock()

    def periods(self) -> list[str]:
        """Scored periods, newest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir()
                 if p.is_dir() and self.has(p.name)]
        return sorted(found, reverse=True)

    def has(self, period: str) -> bool:
        return bool(PERIOD.fullmatch(period)) and all((self.root / period / f).is_file() for f in FILES.values())

    def table(self, period: str, entity: str) -> pd.DataFrame:
        """The full ranked list of one entity type (as written; cached until the file changes)."""
        file = self.root / period / FILES[entity]
        stamp = file.stat().st_mtime_ns
        with self._lock:
            hit = self._cache.get(file)
            if hit and hit[0] == stamp:
                return hit[1]
        table = pd.read_parquet(file)
        table["entity_id"] = table["entity_id"].astype("str")
        with self._lock:
            self._cache[file] = (stamp, table)
            while len(self._cache) > CACHED_TABLES:  # oldest first: a long history does not pile up
                self._cache.pop(next(iter(self._cache)))
        return table

    def count(self, period: str, entity: str) -> int:
        """Rows of a list, from the Parquet footer (the list itself is not read)."""
        return pq.ParquetFile(self.root / period / FILES[entity]).metadata.num_rows

    def manifest(self, period: str) -> dict:
        file = self.root / period / "manifest.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    def case(self, period: str, entity: str, entity_id: str) -> dict | None:
        """The case file, or None when scoring wrote none for this entity (it writes them for the
        top of each list)."""
        if "/" in entity_id or "\\" in entity_id or entity_id.startswith("."):
            return None
        file = self.root / period / "cases" / entity / f"{entity_id}.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None

    def row(self, period: str, entity: str, entity_id: str) -> dict | None:
        table = self.table(period, entity)
        hit = table[table["entity_id"] == entity_id]
        return None if hit.empty else hit.iloc[0].to_dict()

    def risk_history(self, entity: str, entity_id: str) -> pd.DataFrame:
        """The entity's risk score and rank in the scored periods of the last HISTORY_MONTHS
        (oldest first); reads only its row of each list."""
        rows = []
        for period in sorted(self.periods())[-HISTORY_MONTHS:]:
            hit = pd.read_parquet(self.root / period / FILES[entity], columns=["entity_id", "risk_score", "rank"],
                                  filters=[("entity_id", "==", entity_id)])
            if len(hit):
                rows.append({"period": period, "risk_score": float(hit["risk_score"].iloc[0]),
                             "rank": int(hit["rank"].iloc[0])})
        return pd.DataFrame(rows, columns=["period", "risk_score", "rank"])
