"""MLflow behind one module: runs, the model registry, champion/challenger aliases.

The only module that imports mlflow. Default store: a SQLite file in the project's data folder;
`MLFLOW_TRACKING_URI` (or the settings) points it at a server instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

EXPERIMENT = "fundguard"
PRIMARY = "val_model_precision_at_k"  # the validation metric that decides promotion
SECONDARY = "val_model_pr_auc"


def model_name(entity: str) -> str:
    return f"fundguard-{entity}"


def _mlflow():
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    return mlflow


def configure(tracking_uri: str | None, data_dir: Path) -> str:
    """Point MLflow at `tracking_uri`, else $MLFLOW_TRACKING_URI, else data_dir/mlflow.db."""
    mlflow = _mlflow()
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        data_dir.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{(data_dir / 'mlflow.db').resolve()}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        location = (data_dir / "mlartifacts").resolve().as_uri() if uri.startswith("sqlite") else None
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    mlflow.set_experiment(EXPERIMENT)
    return uri


class NoChampion(LookupError):
    """No model of an entity type is registered as champion yet (train first)."""


@dataclass(frozen=True)
class Registered:
    entity: str
    version: str
    run_id: str
    alias: str  # "champion" or "challenger"
    message: str


def log_and_register(
    entity: str,
    model,
    features_in: pd.DataFrame,
    params: dict,
    metrics: dict,
    artifacts: dict[str, pd.DataFrame | dict | list],
    tags: dict,
    promote: bool = True,
) -> Registered:
    """One run: params, metrics, artifacts and the model with its signature; register it and
    move `champion` only if it beats the current champion on the validation metric. With
    `promote=False` the version is registered without an alias (see `promote_all`)."""
    mlflow = _mlflow()
    from mlflow.models import infer_signature

    example = features_in.head(5)
    signature = infer_signature(example, model.predict(example))
    with mlflow.start_run(run_name=f"{entity}-{tags.get('until', '')}") as run:
        mlflow.set_tags({**tags, "entity": entity})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if pd.notna(v)})
        _log_artifacts(mlflow, artifacts)
        with _quiet("mlflow.sklearn"):  # cloudpickle on purpose: the model is fundguard's own class
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=signature,
                input_example=example,
                serialization_format="cloudpickle",
                pip_requirements=_requirements(),
                registered_model_name=model_name(entity),
            )
    version = str(info.registered_model_version)
    if not promote:
        return Registered(entity, version, run.info.run_id, "", f"{model_name(entity)} v{version} registered")
    return _promote(entity, version, run.info.run_id, metrics)


def promote_all(pending: dict[str, Registered], metrics: dict[str, dict]) -> dict[str, Registered]:
    """Set the aliases of versions registered together, once all of them are: a run killed while
    registering leaves versions without an alias and every champion as it was (all or nothing)."""
    return {entity: _promote(entity, r.version, r.run_id, metrics[entity]) for entity, r in pending.items()}


@contextlib.contextmanager
def _quiet(logger: str):
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _requirements() -> list[str]:
    """Stated, not inferred (inference imports the model in a subprocess, which is slow)."""
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("scikit-learn", "lightgbm", "pandas", "numpy")]


def _log_artifacts(mlflow, artifacts: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, value in artifacts.items():
            path = Path(tmp) / name
            if isinstance(value, pd.DataFrame):
                value.to_csv(path, index=False)
            elif isinstance(value, str):
                path.write_text(value + "\n", encoding="utf-8")
            else:
                path.write_text(json.dumps(value, indent=2, ensure_ascii=False, default=str))
            mlflow.log_artifact(str(path))


def _figure(value) -> float:
    """A validation figure for comparisons: missing (no validation) counts as -1."""
    value = float("nan") if value is None else float(value)
    return -1.0 if value != value else value


def promotion(new: dict, old: dict | None) -> tuple[bool, str]:
    """Whether a new version becomes champion, and why. It must beat the simplest baselines on
    validation and the current champion on precision@k + PR-AUC; a first version becomes champion
    regardless, so that scoring can run, with the warning kept in its words."""
    beats_baselines = bool(_figure(new.get("beats_baselines")) > 0)
    key_new = _figure(new.get(PRIMARY)) + _figure(new.get(SECONDARY))
    if old is None:
        if _figure(new.get("val_folds")) <= 0:
            return True, "is the first champion (unsupervised: no confirmed frauds to validate on)"
        return True, "is the first champion" + (
            "" if beats_baselines else " (WARNING: it does not beat the simplest baselines on validation)"
        )
    key_old = _figure(old.get(PRIMARY)) + _figure(old.get(SECONDARY))
    if not beats_baselines:
        return False, "does not beat the simplest baselines on validation; it is the challenger, champion unchanged"
    if key_new > key_old + 1e-9:
        return True, f"beats the champion on validation ({key_new:.3f} vs {key_old:.3f}) and the baselines"
    return False, f"does not beat the champion on validation ({key_new:.3f} vs {key_old:.3f}); it is the challenger"


def _promote(entity: str, version: str, run_id: str, metrics: dict) -> Registered:
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    name = model_name(entity)
    try:
        current = client.get_model_version_by_alias(name, "champion")
    except mlflow.exceptions.MlflowException:
        current = None
    old = None if current is None else client.get_run(current.run_id).data.metrics
    promote, why = promotion(metrics, old)
    alias = "champion" if promote else "challenger"
    client.set_registered_model_alias(name, alias, version)
    against = "" if current is None else f" (champion was v{current.version})"
    return Registered(entity, version, run_id, alias, f"{name} v{version} {why}{against}")


def load_champion(entity: str):
    """(model, version) of the registered champion; LookupError with what to do if none."""
    mlflow = _mlflow()
    name = model_name(entity)
    try:
        mv = mlflow.MlflowClient().get_model_version_by_alias(name, "champion")
    except mlflow.exceptions.MlflowException as exc:
        raise NoChampion(f"no champion model registered as {name}; run `fundguard train` first") from exc
    return mlflow.sklearn.load_model(f"models:/{name}@champion"), str(mv.version)


def list_models() -> pd.DataFrame:
    """Every registered version with its aliases and headline metrics."""
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    rows = []
    for rm in client.search_registered_models():
        aliases = {}
        for alias, version in (rm.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        for mv in client.search_model_versions(f"name='{rm.name}'"):
            m = client.get_run(mv.run_id).data.metrics
            rows.append(
                {
                    "model": rm.name,
                    "version": int(mv.version),
                    "aliases": ",".join(sorted(aliases.get(str(mv.version), []))),
                    "val_precision_at_k": m.get(PRIMARY),
                    "val_pr_auc": m.get(SECONDARY),
                    "test_precision_at_k": m.get("test_model_precision_at_k"),
                    "created": pd.Timestamp(mv.creation_timestamp, unit="ms").strftime("%Y-%m-%d %H:%M"),
                }
            )
    cols = ["model", "version", "aliases", "val_precision_at_k", "val_pr_auc", "test_precision_at_k", "created"]
    return pd.DataFrame(rows, columns=cols).sort_values(["model", "version"], ignore_index=True)
