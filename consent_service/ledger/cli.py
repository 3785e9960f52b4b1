"""`flask ledger verify [--checkpoint FILE]` and `flask ledger checkpoint [--output FILE]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.extensions import db
from consent_service.ledger import service as ledger
from consent_service.runtime import runtime


@click.group("ledger")
def ledger_group() -> None:
    """The tamper-evident consent ledger."""


@ledger_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint from `flask ledger checkpoint`: every head it names must still be there.")
@with_appcontext
def verify(checkpoint_file: str | None) -> None:
    """Re-hash every chain; exit 1 naming the first broken event, gap or fork of each bad chain."""
    report = ledger.verify(session=db.session)
    problems = list(report.problems)
    if checkpoint_file:
        problems += ledger.compare_checkpoint(
            session=db.session, keystore=runtime().keystore, token=Path(checkpoint_file).read_text().strip(), now=now(),
        )
    for problem in problems:
        click.echo(str(problem), err=True)
    db.session.rollback()
    if problems:
        raise SystemExit(1)
    checked = " and the checkpoint" if checkpoint_file else ""
    click.echo(f"ledger ok: {report.chains} chains, {report.events} events{checked}")


@ledger_group.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the signed checkpoint here instead of stdout.")
@with_appcontext
def checkpoint(output: str | None) -> None:
    """Sign a digest of every chain head; keep it outside the database to check a restored backup."""
    token = ledger.checkpoint(session=db.session, keystore=runtime().keystore,
                              issuer=runtime().settings.token_issuer, now=now())
    db.session.commit()  # the first signature ever creates the first signing key
    if output:
        Path(output).write_text(token + "\n")
        click.echo(f"checkpoint written to {output}")
    else:
        click.echo(token)
