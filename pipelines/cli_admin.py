"""`fundguard audit …`: checks on the outcomes database that an administrator runs.

    fundguard audit verify    walk the dispositions and audit-log hash chains; exit 0 when both
                              verify, 2 naming the first broken row otherwise

Registered on the main command at the end of `pipelines/cli.py` (`app.add_typer(audit_app, name="audit")`).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

EXIT_BROKEN = 2  # like a contract violation: the record itself is not what it should be

audit_app = typer.Typer(no_args_is_help=True, help="Check the outcomes database's tamper-evident record.")


@audit_app.command("verify")
def audit_verify(
    url: Annotated[
        Optional[str], typer.Option(help="outcomes database URL (default: the outcomes_url setting)")
    ] = None,
) -> None:
    """Recompute every row's hash in the dispositions and audit chains; a row changed, removed or
    slipped in behind the application's back is named (and training refuses the labels)."""
    from pipelines.settings import load_settings, outcomes_url
    from serving.store.outcomes import OutcomeStore

    store = OutcomeStore(url or outcomes_url(load_settings()))
    try:
        checks = store.verify_chains()
    finally:
        store.dispose()
    for check in checks:
        typer.echo(str(check))
    broken = [c for c in checks if not c.intact]
    if broken:
        typer.echo(
            f"TAMPERED: {broken[0]}. Restore the database from a backup taken before that row, and "
            f"find out who changed it (the file's access log, not this application's).",
            err=True,
        )
        raise typer.Exit(EXIT_BROKEN)
    typer.echo("both chains verify")
