"""`flask reports rebuild`: recompute the consent-rate rollup from the ledger."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.group("reports")
def reports_group() -> None:
    """Consent-rate reports."""


@reports_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Replace the rollup with a recomputation from consent_events, in one transaction."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.reports import service as reports

    # One INSERT ... SELECT does the work, so there is no finer progress to show than its start and end.
    click.echo("rebuilding the rollup from the ledger (one statement; writers wait until it commits)...", err=True)
    started = time.monotonic()
    written = reports.rebuild_rollups(session=db.session())
    db.session.commit()
    click.echo(f"rollup rebuilt: {written} rows")
    click.echo(f"took {time.monotonic() - started:.1f} s", err=True)
