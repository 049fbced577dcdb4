"""The `fundguard` command: thin wiring from the command line to the library functions.

Exit status (the contract's): 0 done; 2 the input broke the contract (a report names the table,
column, rule and example rows); 64 a usage error; 1 any other fault, with what to do about it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from data_contracts.vocabulary import is_period
from pipelines.settings import load_settings

EXIT_CONTRACT = 2
EXIT_USAGE = 64
EXIT_FAULT = 1

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="fundguard: find fraud, waste and abuse in medical-insurance claims (医保基金监管).",
)


class Fault(Exception):
    """A failure that is not the input's fault; the message says what to do."""


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="folder to write the synthetic dataset into (replaced whole)")],
    scale: Annotated[Optional[str], typer.Option(help="tiny | small | city")] = None,
    months: Annotated[Optional[int], typer.Option(help="months of claims (default: the scale's)")] = None,
    seed: Annotated[Optional[int], typer.Option(help="random seed; same seed, same bytes")] = None,
    format: Annotated[str, typer.Option("--format", help="parquet | csv")] = "parquet",
    start: Annotated[Optional[str], typer.Option(help="first month, YYYY-MM")] = None,
    profile: Annotated[
        str,
        typer.Option(
            help="data shape: standard, or profile names joined by commas "
            "(synthetic/profiles.py), e.g. span_labels,mixed_formats"
        ),
    ] = "standard",
) -> None:
    """Write a synthetic pooling region in the shape of the claims contract, with labels and truth."""
    from synthetic.generate import generate as run
    from synthetic.population import SCALES
    from synthetic.profiles import profile_names

    gen = load_settings().generator
    scale = scale or gen.scale
    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of {', '.join(SCALES)}", param_hint="--scale")
    if format not in ("parquet", "csv"):
        raise typer.BadParameter("format must be parquet or csv", param_hint="--format")
    try:
        profile_names(profile)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--profile") from None
    result = run(
        out,
        scale=scale,
        months=months or gen.months,
        seed=seed if seed is not None else gen.seed,
        fmt=format,
        start=start or gen.start,
        profile=profile,
    )
    counts = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    typer.echo(f"wrote a {scale} synthetic region to {out} ({result.periods[0]}..{result.periods[-1]}): {counts}")


@app.command()
def validate(
    data: Annotated[Path, typer.Option(help="dataset folder (providers, insured, catalog, claims, claim_items)")],
    labels: Annotated[Optional[Path], typer.Option(help="labels CSV to check as well")] = None,
    report: Annotated[Optional[Path], typer.Option(help="where to write the JSON report")] = None,
) -> None:
    """Check a dataset against the claims contract; exit 2 with a report on any violation."""
    _validate_or_exit(data, labels, report)


def _validate_or_exit(data: Path, labels: Path | None, report: Path | None) -> None:
    from data_contracts.validate import validate_dataset

    _guard_inputs(data, report=report or _report_path(data))
    result = validate_dataset(data, labels_path=labels)
    _write_report(result, report, data)
    if not result.ok:
        raise typer.Exit(EXIT_CONTRACT)


def _report_path(data: Path) -> Path:
    return load_settings().reports_dir / f"validation_{data.resolve().name}.json"


def _guard_inputs(data: Path, **outputs: Path | None) -> None:
    """Refuse (before anything is written) outputs inside the input folder, the state folder too."""
    from pipelines.io import refuse_inside_inputs

    settings = load_settings()
    where = {"fundguard's state folder (data_dir)": settings.data_dir, **outputs}
    try:
        refuse_inside_inputs({k: v for k, v in where.items() if v is not None}, [data])
    except ValueError as exc:
        raise Fault(str(exc)) from None


def _default_labels(data: Path, labels: Path | None) -> Path | None:
    """The labels file asked for, else DATA/labels.csv where there is one, else none."""
    if labels is not None:
        return labels
    return data / "labels.csv" if (data / "labels.csv").is_file() else None


def _write_report(result, report: Path | None, data: Path) -> None:
    """Print the contract report and write it as JSON (write aside, then rename)."""
    report = report or _report_path(data)
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = report.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(report)
    typer.echo(result.to_text())
    typer.echo(f"report: {report}")


@app.command("import")
def import_export(
    source: Annotated[Path, typer.Option("--from", help="the agency's export folder (read only)")],
    out: Annotated[Path, typer.Option(help="folder to write the dataset in the contract's shape (new)")],
    mapping: Annotated[
        str,
        typer.Option(
            help="mapping YAML file, or the name of a shipped mapping: nhsa "
            "(the national platform's settlement and fee-detail records)"
        ),
    ] = "nhsa",
    overwrite: Annotated[bool, typer.Option(help="replace OUT if it exists")] = False,
) -> None:
    """Turn an agency's export (CSV or Excel, GB18030/UTF-8, its own column names and codes) into the
    contract's tables; unmappable values get the same report as `validate`, and nothing is written."""
    from data_contracts.importing import MAPPINGS_DIR
    from data_contracts.importing import import_export as run

    shipped = MAPPINGS_DIR / f"{mapping}.yaml"
    spec = shipped if not Path(mapping).suffix and shipped.is_file() else Path(mapping)
    if not spec.is_file():
        raise typer.BadParameter(
            f"no mapping file {mapping!r} (shipped: {', '.join(p.stem for p in MAPPINGS_DIR.glob('*.yaml'))})",
            param_hint="--mapping",
        )
    with _contract_exit(source, None):
        try:
            result = run(source, spec, out, overwrite=overwrite)
        except (ValueError, FileExistsError) as exc:
            raise Fault(str(exc)) from exc
    rows = ", ".join(f"{table} {n:,}" for table, n in result.rows.items())
    typer.echo(f"imported {source} into {out} with {spec.name}: {rows}\nnext: fundguard validate --data {out}")


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="dataset folder")],
    labels: Annotated[
        Optional[Path],
        typer.Option(
            help="labels CSV of past inspection outcomes (default: "
            "DATA/labels.csv if present; without labels the models "
            "learn from what is unusual)"
        ),
    ] = None,
    until: Annotated[
        Optional[str], typer.Option(help="learn from periods up to this YYYY-MM (default: all but the latest)")
    ] = None,
) -> None:
    """Features → LightGBM + isolation forest → evaluation → MLflow (registered, aliased)."""
    summary = _train(data, labels, until)
    typer.echo(f"labels: {len(summary.labels)} ({summary.recorded} recorded by reviewers in the outcomes database)")
    for entity, trained in summary.trained.items():
        typer.echo(_training_lines(entity, trained, summary.registered[entity]))
    typer.echo(f"MLflow: {summary.tracking_uri}  (browse: mlflow ui --backend-store-uri {summary.tracking_uri})")


def _train(data: Path, labels: Path | None, until: str | None):
    from models.job import TrainingWindowError
    from pipelines.train_flow import train_flow

    _guard_inputs(data)
    labels = _default_labels(data, labels)
    with _contract_exit(data, labels):
        try:
            return train_flow(data, labels, load_settings(), until)
        except TrainingWindowError as exc:
            raise Fault(str(exc)) from exc


@contextlib.contextmanager
def _contract_exit(data: Path, labels: Path | None):
    """Input that breaks the contract (unreadable, or failing a rule): report, then exit 2."""
    from data_contracts.errors import ContractViolation
    from data_contracts.validate import ValidationReport

    try:
        yield
    except ContractViolation as violation:
        report = violation.report or ValidationReport(str(data), str(labels), list(violation.findings))
        _write_report(report, None, data)
        raise typer.Exit(EXIT_CONTRACT) from None


def _training_lines(entity: str, trained, registered) -> str:
    """What a data scientist reads after training: the mode, ours against the baselines, the verdict."""
    m, r = trained.metrics, trained.result
    lines = [f"{entity}: {registered.message}", f"  {r.mode}; blend {r.model.blend.describe()}"]
    if m.get("val_folds"):
        kinds = sorted({f.kind for f in r.folds})
        lines.append(
            f"  validation ({int(m['val_folds'])} {'/'.join(kinds)} folds): precision@k / PR-AUC  ours "
            f"{m['val_model_precision_at_k']:.2f} / {m['val_model_pr_auc']:.2f}, biggest spenders "
            f"{m['val_spend_precision_at_k']:.2f} / {m['val_spend_pr_auc']:.2f}, most rule hits "
            f"{m['val_rules_precision_at_k']:.2f} / {m['val_rules_pr_auc']:.2f}, plain model "
            f"{m['val_plain_precision_at_k']:.2f} / {m['val_plain_pr_auc']:.2f}, random "
            f"{m['val_random_precision_at_k']:.2f}"
        )
    lines.append(f"  {r.verdict}")
    if trained.test_metrics:
        lines.append(
            f"  planted truth {trained.test_period} (k={int(m['test_k'])}): precision@k "
            f"{m['test_model_precision_at_k']:.2f} vs biggest spenders {m['test_spend_precision_at_k']:.2f}, "
            f"rules {m['test_rules_precision_at_k']:.2f}, random {m['test_random_precision_at_k']:.2f}"
        )
    return "\n".join(lines)


@app.command()
def score(
    data: Annotated[Path, typer.Option(help="dataset folder")],
    period: Annotated[Optional[str], typer.Option(help="YYYY-MM to score (default: the latest in the data)")] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(
            help="folder for the outputs; each period gets its own sub-folder (default: the scores_dir setting)"
        ),
    ] = None,
    labels: Annotated[Optional[Path], typer.Option(help="labels CSV (default: DATA/labels.csv if present)")] = None,
    top: Annotated[Optional[int], typer.Option(help="capacity: keep the top N of each list")] = None,
    region: Annotated[Optional[list[str]], typer.Option(help="only these regions (repeatable)")] = None,
    provider_type: Annotated[Optional[list[str]], typer.Option(help="only these provider types (repeatable)")] = None,
    skip_inspected_months: Annotated[int, typer.Option(help="leave out entities inspected in the last N months")] = 0,
    lang: Annotated[str, typer.Option(help="language of the reasons: en | zh")] = "en",
) -> None:
    """The ranked inspection list of one period, with reasons, case files, workbook and report."""
    from models.tracking import NoChampion
    from pipelines.score_flow import NothingToScore, ScoreRequest, score_flow

    if period is not None and not is_period(period):
        raise typer.BadParameter(f"period must look like YYYY-MM, got {period!r}", param_hint="--period")
    if lang not in ("en", "zh"):
        raise typer.BadParameter("lang must be en or zh", param_hint="--lang")
    request = ScoreRequest(period, top, tuple(region or ()), tuple(provider_type or ()), skip_inspected_months, lang)
    settings = load_settings()
    _guard_inputs(data, **{"the inspection lists (--out)": out or settings.scores_dir})
    labels = _default_labels(data, labels)
    with _contract_exit(data, labels):
        try:
            target = score_flow(data, out or settings.scores_dir, settings, request, labels)
        except (NothingToScore, NoChampion) as exc:
            raise Fault(str(exc)) from exc
    typer.echo(
        f"inspection list: {target / 'providers.csv'}, {target / 'persons.csv'}, "
        f"{target / 'inspection_list.xlsx'}\nreport: {target / 'report.html'}\ncase files: {target / 'cases'}"
    )


@app.command()
def schedule(
    data: Annotated[Path, typer.Option(help="dataset folder the agency's monthly export lands in")],
    out: Annotated[Path, typer.Option(help="folder for the monthly outputs")] = Path("data/scores"),
    cron: Annotated[str, typer.Option(help="when to run (cron, server time zone)")] = "0 6 3 * *",
) -> None:
    """Serve the monthly deployment (validate → score → report) on a schedule; needs a Prefect server."""
    from pipelines.score_flow import serve_monthly

    serve_monthly(data, out, cron)


@app.command()
def models() -> None:
    """Registered model versions, their aliases and headline metrics."""
    from models import tracking

    settings = load_settings()
    tracking.configure(settings.mlflow_tracking_uri, settings.data_dir)
    table = tracking.list_models()
    typer.echo("no models registered yet; run `fundguard train`" if table.empty else table.to_string(index=False))


@app.command()
def demo(
    data: Annotated[Path, typer.Option(help="where the synthetic dataset goes")] = Path("data/demo"),
    scale: Annotated[str, typer.Option(help="tiny | small | city")] = "small",
    fresh: Annotated[bool, typer.Option(help="regenerate even if the data is already there")] = False,
    out: Annotated[Optional[Path], typer.Option(help="where the inspection lists go (default: scores_dir)")] = None,
) -> None:
    """The whole job on built-in synthetic data: generate → validate → train → score."""
    if fresh or not (data / "manifest.json").exists():
        generate(out=data, scale=scale, months=None, seed=None, format="parquet", start=None)
    else:
        typer.echo(f"using the synthetic data already in {data} (--fresh to regenerate)")
    _validate_or_exit(data, data / "labels.csv", None)
    typer.echo("\n== train ==")
    train(data=data, labels=data / "labels.csv", until=None)
    typer.echo("\n== score the latest month ==")
    score(
        data=data,
        period=None,
        out=out,
        labels=None,
        top=None,
        region=None,
        provider_type=None,
        skip_inspected_months=0,
        lang="en",
    )
    settings = load_settings()
    typer.echo(
        f"\nDone. Open the report above in a browser; the Excel workbook is next to it.\n"
        f"MLflow UI: .venv/bin/mlflow ui --backend-store-uri sqlite:///{(settings.data_dir / 'mlflow.db').resolve()}"
        f"  then http://127.0.0.1:5000\n"
        f"Reviewers' app: .venv/bin/fundguard users add --name NAME --role reviewer|supervisor  (prints a token),"
        f" then .venv/bin/fundguard serve  and open http://{settings.serve.host}:{settings.serve.port}"
    )


users_app = typer.Typer(no_args_is_help=True, help="Who may use the web app: reviewers and supervisors.")
app.add_typer(users_app, name="users")


def _outcomes():
    from pipelines.settings import outcomes_url
    from serving.store.outcomes import OutcomeStore

    return OutcomeStore(outcomes_url(load_settings()))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option(help="the person's user name (shown in the audit log)")],
    role: Annotated[str, typer.Option(help="reviewer (records outcomes) | supervisor (exports lists)")],
) -> None:
    """Create a user, or give an existing one a new token; prints the token once."""
    from serving.store.outcomes import ROLES

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    try:
        token = _outcomes().add_user(name, role)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--name") from exc
    typer.echo(f"{role} {name}: token {token}\n(shown once; sign in with it, or send 'Authorization: Bearer <token>')")


@users_app.command("list")
def users_list() -> None:
    """Users, their roles and whether they are revoked."""
    table = _outcomes().users()
    typer.echo("no users yet; add one with `fundguard users add`" if table.empty else table.to_string(index=False))


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Option(help="user to lock out")]) -> None:
    """Revoke a user's token (the user and their audit entries stay)."""
    if not _outcomes().revoke(name):
        raise Fault(f"no active user named {name!r}; see `fundguard users list`")
    typer.echo(f"revoked {name}")


@app.command("outcomes")
def outcomes_export(
    out: Annotated[Path, typer.Option(help="CSV to write the recorded outcomes to, in the labels shape")],
) -> None:
    """Write the reviewers' recorded outcomes as a labels CSV (train reads them by itself, too)."""
    table = _outcomes().outcome_labels()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(out)
    typer.echo(f"wrote {len(table)} outcomes to {out}")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="address to listen on (default: serve.host setting)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default: serve.port setting)")] = None,
    scores: Annotated[Optional[Path], typer.Option(help="folder `fundguard score` wrote (default: scores_dir)")] = None,
) -> None:
    """The reviewers' and supervisors' web app over the scored lists (pages and a JSON API)."""
    import uvicorn

    from pipelines.settings import outcomes_url
    from serving.app import AppConfig, create_app, load_patterns

    settings = load_settings()
    config = AppConfig(
        scores_dir=scores or settings.scores_dir,
        outcomes_url=outcomes_url(settings),
        page_size=settings.serve.page_size,
        secure_cookie=settings.serve.secure_cookie,
        patterns=load_patterns(),
    )
    host, port = host or settings.serve.host, port or settings.serve.port
    typer.echo(f"fundguard app on http://{host}:{port} (lists from {config.scores_dir}; API docs at /docs)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def _log_path() -> Path:
    """The run's log file (in the data folder of the settings; a temporary folder if unreadable)."""
    import tempfile
    import warnings

    from pipelines.logs import log_file

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return log_file(load_settings().data_dir).resolve()
    except Exception:  # settings that do not load are reported by the command itself
        return Path(tempfile.gettempdir()) / "fundguard" / "fundguard.log"


def _fail(message: str, exc: BaseException, log: Path) -> None:
    from pipelines.logs import record_failure

    record_failure(log, exc)
    typer.echo(f"error: {message}\n(details, with the traceback: {log})", err=True)
    sys.exit(EXIT_FAULT)


def main(argv: list[str] | None = None) -> None:
    """Console entry point with the contract's exit codes (click's own usage errors would be 2).
    No traceback reaches the screen: it goes to the log file the message names."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network: no telemetry
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # the temporary local Prefect API can take long to start on a busy machine (default 20 s)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # Prefect's own console lines (task states, and tracebacks of failed tasks) go to the log file;
    # the command prints what it did, or one paragraph saying what went wrong
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    import prefect  # noqa: F401  (sets up Prefect's logging, which route_logs then adjusts)

    from pipelines.logs import route_logs
    from pipelines.orphans import tie_prefect_server_to_this_process

    tie_prefect_server_to_this_process()

    log = _log_path()
    try:
        route_logs(log)
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except (Fault, OSError) as exc:
        _fail(str(exc), exc, log)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # a click usage error
            exc.show()
            sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
        _fail(
            f"an unexpected {type(exc).__name__}: {str(exc)[:300]}. Nothing was changed; please report this "
            f"with the log file",
            exc,
            log,
        )
    sys.exit(code if isinstance(code, int) else 0)


from pipelines.cli_admin import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")
