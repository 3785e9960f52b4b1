"""`flask retention run [--dry-run]`: safe from cron on several instances at once."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.progress import progress_bar


@click.group("retention")
def retention_group() -> None:
    """Keep consent data only as long as the configured periods justify."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@with_appcontext
def run(dry_run: bool) -> None:
    """Remove expired subject chains and finished webhook events, forget erased identifiers in delivered ones."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.retention import service as retention
    from consent_service.rights.erasure import erased_id
    from consent_service.runtime import runtime

    settings = runtime().settings
    pepper = settings.erasure_pepper
    periods = retention.Periods(
        visitor_inactivity=timedelta(days=settings.retention_visitor_inactivity_days),
        recording_evidence=timedelta(days=settings.retention_recording_evidence_days),
        proof_after_withdrawal=timedelta(days=settings.retention_proof_after_withdrawal_days),
        webhook_outbox=timedelta(days=settings.retention_webhook_outbox_days),
    )
    with progress_bar("looking at subjects") as progress:
        outcome = retention.run(
            session=db.session(),
            periods=periods,
            pseudonymize=lambda kind, external_id: erased_id(pepper=pepper, kind=kind, external_id=external_id),
            keystore=runtime().keystore,
            now=now(),
            dry_run=dry_run,
            progress=progress,
        )
    verb = "would remove" if dry_run else "removed"
    _echo_months(
        "the ledger's", "months of the ledger", outcome.partitions_created, outcome.partitions_dropped, dry_run
    )
    _echo_months(
        "the webhook outbox's",
        "finished months of the webhook outbox",
        outcome.outbox_partitions_created,
        outcome.outbox_months_dropped,
        dry_run,
    )
    for removal in outcome.removed:
        click.echo(f"{verb} {removal.kind} #{removal.subject_id}: {removal.events} events ({removal.reason})")
    events = sum(removal.events for removal in outcome.removed)
    forget = "would forget" if dry_run else "forgot"
    click.echo(
        f"{verb} {len(outcome.removed)} chains ({events} events); "
        f"{forget} {outcome.erasure_notices_forgotten} erased identifiers in delivered webhook events; "
        f"{verb} {outcome.outbox_events_deleted} finished webhook events by rows"
    )


def _echo_months(owner: str, months: str, created: list[str], dropped: list[str], dry_run: bool) -> None:
    """The partitions a run made and the months it dropped (or would drop) whole, for one partitioned table."""
    if created:
        click.echo(f"made {owner} partitions {', '.join(created)}")
    if dropped:
        click.echo(f"{'would drop' if dry_run else 'dropped'} {len(dropped)} {months} whole: {', '.join(dropped)}")
