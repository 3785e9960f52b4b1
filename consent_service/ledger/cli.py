"""`flask ledger verify [--checkpoint FILE [--jwks FILE_OR_URL]]`, `checkpoint [--out FILE]`, `partitions`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.progress import progress_bar


@click.group("ledger")
def ledger_group() -> None:
    """The tamper-evident consent ledger."""


@ledger_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A file from `flask ledger checkpoint`: every chain must still begin with its checkpointed history.",
)
@click.option(
    "--jwks",
    "jwks_source",
    metavar="FILE_OR_URL",
    help="Check the checkpoint's signature with these public keys only (a saved /.well-known/jwks.json).",
)
@with_appcontext
def verify(checkpoint_file: str | None, jwks_source: str | None) -> None:
    """Re-hash every chain, compare its fold with the states checks answer from, check every retirement's
    seal (and the checkpoint); exit 1 naming the subject and the first event that differs."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.ledger import checkpoint as checkpoints
    from consent_service.ledger import seals
    from consent_service.ledger import service as ledger
    from consent_service.runtime import runtime

    if jwks_source and not checkpoint_file:
        raise click.UsageError("--jwks checks the signature of a --checkpoint: give one")
    try:  # before the long part: a wrong --jwks is said at once
        published = seals.load_jwks(jwks_source) if jwks_source else None
    except seals.JwksUnusable as exc:
        raise click.UsageError(f"--jwks: {exc}") from None
    genuine = runtime().keystore.genuine_public_keys(session=db.session())
    with progress_bar("verifying chains") as progress:
        report = ledger.verify(session=db.session(), keys=genuine, progress=progress)
    problems = list(report.problems)
    if checkpoint_file:
        keys = published if published is not None else genuine
        problems += checkpoints.compare(session=db.session(), path=checkpoint_file, keys=keys, retirement_keys=genuine)
    db.session.rollback()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise SystemExit(1)
    checked = " and the checkpoint" if checkpoint_file else ""
    click.echo(
        f"ledger ok: {report.chains} chains, {report.events} events, {report.states} states, "
        f"{report.retired} retired chains{checked}"
    )


@ledger_group.command("checkpoint")
@click.option(
    "--out",
    "--output",
    "output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Write the checkpoint to this file (gzip if it ends in .gz); by default to stdout, for a pipe "
    "to a machine the database's administrators cannot reach.",
)
@click.option(
    "--webhook",
    is_flag=True,
    help="Also send its signed line to the webhook endpoints subscribed to ledger.checkpoint.",
)
@with_appcontext
def checkpoint(output: str | None, webhook: bool) -> None:
    """Sign the history of every chain; keep the file where the database's administrators cannot write."""
    from consent_service.extensions import db  # as in `verify`
    from consent_service.ledger import checkpoint as checkpoints
    from consent_service.ledger import service as ledger
    from consent_service.runtime import runtime

    keystore = runtime().keystore
    report = ledger.verify(session=db.session(), keys=keystore.genuine_public_keys(session=db.session()))
    if report.problems:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        db.session.rollback()
        click.echo("no checkpoint: it would vouch for a ledger that does not verify", err=True)
        raise SystemExit(1)
    to_stdout = output == "-"
    written = checkpoints.write(
        session=db.session(),
        keystore=keystore,
        issuer=runtime().settings.token_issuer,
        now=now(),
        path=None if to_stdout else output,
        stream=sys.stdout.buffer if to_stdout else None,
    )
    if webhook and not checkpoints.announce(session=db.session(), checkpoint=written, now=now()):
        click.echo("no webhook endpoint subscribes to ledger.checkpoint", err=True)
        db.session.commit()
        raise SystemExit(1)
    db.session.commit()  # the first signature ever creates the first signing key
    click.echo(
        f"checkpoint of {written.claims['chains']} chains, {written.claims['events']} events "
        f"written to {'stdout' if to_stdout else output}",
        err=to_stdout,
    )


@ledger_group.command("partitions")
@click.option("--ahead", type=click.IntRange(0, 120), default=3, show_default=True, help="Months to make ahead.")
@with_appcontext
def make_partitions(ahead: int) -> None:
    """Make this month's and the next months' partitions of the ledger and of the webhook outbox (PostgreSQL;
    `flask retention run` does it too), then list the partitions."""
    from consent_service import partitions as tables
    from consent_service.extensions import db
    from consent_service.ledger import partitions
    from consent_service.webhooks import outbox

    session = db.session()
    if not partitions.partitioned(session):
        click.echo("the ledger is not partitioned (SQLite, or PostgreSQL before migration 0027)")
        return
    created = partitions.ensure_months(session=session, now=now(), ahead=ahead)
    created += outbox.ensure_months(session=session, now=now(), ahead=ahead)
    session.commit()
    for name in created:
        click.echo(f"made {name}")
    for table in tables.TABLES:
        if not tables.partitioned(session, table):
            click.echo(f"{table.name} is not partitioned (PostgreSQL before its migration)")
            continue
        for partition in tables.months(session, table):
            click.echo(f"{partition.name} {partition.start:%Y-%m-%d} {partition.end:%Y-%m-%d}")
        click.echo(f"{table.default} (rows of months without a partition)")
