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

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FILES = {"provider": "providers.parquet", "person": "persons.parquet"}


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
                 if p.is_dir() and PERIOD.fullmatch(p.name) and (p / FILES["provider"]).is_file()]
        return sorted(found, reverse=True)

    def has(self, period: str) -> bool:
        return bool(PERIOD.fullmatch(period)) and (self.root / period / FILES["provider"]).is_file()

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
        return table

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
        """The entity's risk score and rank in every scored period (oldest first)."""
        rows = []
        for period in sorted(self.periods()):
            row = self.row(period, entity, entity_id)
            if row is not None:
                rows.append({"period": period, "risk_score": float(row["risk_score"]), "rank": int(row["rank"])})
        return pd.DataFrame(rows, columns=["period", "risk_score", "rank"])
