"""The one typed settings object, and the one home of every default. Read only by the CLI and
the flows (the edges); library functions get plain arguments built from it (`train_configs`).

Where settings come from, later winning: the defaults below, `conf/base.yaml`, `conf/local.yaml`,
then FUNDGUARD_* environment variables. The conf folder is `$FUNDGUARD_CONF` (or the older
`$FUNDGUARD_CONF_DIR`) if set, else the `conf/` folder next to the installed packages, so a
`fundguard` run from any working directory reads the same files.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.training import TrainConfig

ENV_PREFIX = "FUNDGUARD_"
CONF_VARIABLES = ("FUNDGUARD_CONF", "FUNDGUARD_CONF_DIR")
PACKAGE_CONF = Path(__file__).resolve().parent.parent / "conf"


class GeneratorSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    scale: Literal["tiny", "small", "city"] = "small"
    profile: str = "standard"
    months: int | None = None
    seed: int = 20260101
    start: str = "2025-01"


class ModelSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    provider_capacity_share: float = 0.05  # inspections per month, as a share of active providers
    person_capacity: int = 100  # persons inspected per month
    label_delay_months: int = 1  # months before an inspection's outcome is known
    validation_folds: int = 3
    unlabelled_weight: float = 0.2
    lookback_months: int = 12
    min_peer_group: int = 5
    label_span_months: int = 1  # months an inspection reviewed, when labels have no period_from
    exploration_share: float = Field(0.2, ge=0, le=1)  # share of the capacity given to anomaly picks
    lgbm: dict[str, Any] = {}
    iforest: dict[str, Any] = {}


class ServeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str = "127.0.0.1"
    port: int = 8000
    page_size: int = Field(50, ge=1, le=500)
    secure_cookie: bool = False  # true when served over HTTPS (behind a proxy)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    data_dir: Path = Path("fundguard-data")  # fundguard's own state: MLflow store, outcomes, logs
    reports_dir: Path = Path()  # validation reports (default: data_dir/reports)
    mlflow_tracking_uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else data_dir/mlflow.db
    scores_dir: Path = Path()  # where `score` writes and `serve` reads (default: data_dir/scores)
    outcomes_url: str | None = None  # None: SQLite file data_dir/outcomes.db; any SQLAlchemy URL
    serve: ServeSettings = ServeSettings()
    generator: GeneratorSettings = GeneratorSettings()
    model: ModelSettings = ModelSettings()

    @model_validator(mode="before")
    @classmethod
    def _inside_data_dir(cls, raw: Any) -> Any:
        """reports_dir and scores_dir default to folders of data_dir (wherever that is set)."""
        if isinstance(raw, dict):
            data_dir = Path(raw.get("data_dir") or "fundguard-data")
            raw = {"reports_dir": data_dir / "reports", "scores_dir": data_dir / "scores", **raw}
        return raw


def train_configs(model: ModelSettings) -> dict[str, TrainConfig]:
    """How each entity type is trained, from the model settings."""
    common = dict(
        delay=model.label_delay_months,
        n_folds=model.validation_folds,
        unlabelled_weight=model.unlabelled_weight,
        label_span=model.label_span_months,
        lgbm_params=dict(model.lgbm),
        iforest_params=dict(model.iforest),
    )
    return {
        "provider": TrainConfig(k_share=model.provider_capacity_share, k_fixed=None, **common),
        "person": TrainConfig(k_share=None, k_fixed=model.person_capacity, **common),
    }


def outcomes_url(settings: Settings) -> str:
    """The outcomes database: the setting, else a SQLite file in the data folder."""
    return settings.outcomes_url or f"sqlite:///{(Path(settings.data_dir) / 'outcomes.db').resolve()}"


def conf_dir(environ: dict[str, str] | None = None) -> Path:
    """The settings folder: $FUNDGUARD_CONF, else the conf/ folder next to the packages."""
    environ = dict(os.environ if environ is None else environ)
    for name in CONF_VARIABLES:
        if environ.get(name):
            return Path(environ[name])
    return PACKAGE_CONF


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
        if not name.startswith(ENV_PREFIX) or name in CONF_VARIABLES:
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def load_settings(folder: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the defaults, conf/base.yaml, conf/local.yaml, then FUNDGUARD_* variables;
    warns when the settings folder holds no settings file (the defaults alone then apply)."""
    environ = dict(os.environ if environ is None else environ)
    folder = folder or conf_dir(environ)
    raw: dict[str, Any] = {}
    files = [folder / name for name in ("base.yaml", "local.yaml") if (folder / name).is_file()]
    if not files:
        warnings.warn(
            f"no settings file in {folder} (base.yaml, local.yaml): using the built-in defaults; "
            f"set FUNDGUARD_CONF to the folder that holds them",
            stacklevel=2,
        )
    for file in files:
        raw = _deep_merge(raw, yaml.safe_load(file.read_text(encoding="utf-8")) or {})
    raw = _deep_merge(raw, _env_overrides(environ))
    return Settings.model_validate(raw)
