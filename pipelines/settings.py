"""The one typed settings object. Read only by the CLI and the flows (the edges)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "FUNDGUARD_"
CONF_DIR = Path(os.environ.get("FUNDGUARD_CONF_DIR", "conf"))


class GeneratorSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    scale: Literal["tiny", "small", "city"] = "small"
    months: int | None = None
    seed: int = 20260101
    start: str = "2025-01"


class ModelSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    provider_capacity_share: float = 0.05   # inspections per month, as a share of active providers
    person_capacity: int = 100              # persons inspected per month
    label_delay_months: int = 1             # months before an inspection's outcome is known
    validation_folds: int = 3
    unlabelled_weight: float = 0.2
    lookback_months: int = 12
    min_peer_group: int = 5
    lgbm: dict[str, Any] = {}
    iforest: dict[str, Any] = {}


class ServeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str = "127.0.0.1"
    port: int = 8000
    page_size: int = Field(50, ge=1, le=500)
    secure_cookie: bool = False             # true when served over HTTPS (behind a proxy)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    data_dir: Path = Path("data")
    reports_dir: Path = Path("data/reports")
    mlflow_tracking_uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else data_dir/mlflow.db
    scores_dir: Path = Path("data/scores")  # where `score` writes and `serve` reads
    outcomes_url: str | None = None         # None: SQLite file data_dir/outcomes.db; any SQLAlchemy URL
    serve: ServeSettings = ServeSettings()
    generator: GeneratorSettings = GeneratorSettings()
    model: ModelSettings = ModelSettings()


def outcomes_url(settings: Settings) -> str:
    from serving.outcomes import default_url
    return settings.outcomes_url or default_url(settings.data_dir)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """FUNDGUARD_DATA_DIR=x -> {"data_dir": "x"}; FUNDGUARD_GENERATOR__SEED=3 -> nested."""
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "FUNDGUARD_CONF_DIR":
            continue
        path = name[len(ENV_PREFIX):].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def load_settings(conf_dir: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from conf/base.yaml, then conf/local.yaml, then FUNDGUARD_* variables."""
    conf_dir = conf_dir or CONF_DIR
    raw: dict[str, Any] = {}
    for name in ("base.yaml", "local.yaml"):
        file = conf_dir / name
        if file.is_file():
            raw = _deep_merge(raw, yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    raw = _deep_merge(raw, _env_overrides(dict(os.environ if environ is None else environ)))
    return Settings.model_validate(raw)
