"""`flask webhooks run|replay|deliveries`: the delivery worker and its operator's tools."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.errors import reports_service_errors
from consent_service.listing import echo_rows, json_option
from consent_service.vocabulary import DeliveryStatus


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (cron, tests).")
@click.option(
    "--batch", default=50, show_default=True, type=click.IntRange(1, 1000), help="Deliveries claimed at a time."
)
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64), help="Parallel HTTP requests.")
@click.option(
    "--poll-interval",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Seconds between polls when idle.",
)
@click.option(
    "--heartbeat-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Touched after every poll that reached the database (for a container healthcheck).",
)
@with_appcontext
def run(once: bool, batch: int, concurrency: int, poll_interval: float, heartbeat_file: Path | None) -> None:
    """Deliver webhooks until SIGTERM or SIGINT, which let the batch in hand finish first."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.runtime import runtime
    from consent_service.webhooks.signing import SecretCipher
    from consent_service.webhooks.worker import Worker, WorkerOptions

    settings = runtime().settings
    worker = Worker(
        session=db.session(),
        cipher=SecretCipher(settings.key_encryption_keys),
        options=WorkerOptions.from_settings(settings, batch=batch, concurrency=concurrency),
        clock=current_app.config["CLOCK"],
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    heartbeat = heartbeat_file.touch if heartbeat_file else lambda: None
    worker.run(stop=stop, poll_interval=poll_interval, once=once, heartbeat=heartbeat)


@webhooks_group.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--failed", is_flag=True, help="Every failed delivery.")
@with_appcontext
@reports_service_errors
def replay(ids: tuple[str, ...], failed: bool) -> None:
    """Send deliveries (dlv_...), every delivery of events (msg_...), or all failed ones again."""
    if not ids and not failed:
        raise click.UsageError("Name deliveries or events, or pass --failed.")
    from consent_service.extensions import db  # as in `run`
    from consent_service.webhooks import deliveries

    count = deliveries.replay(session=db.session(), ids=ids, failed=failed, now=now())
    db.session.commit()
    click.echo(f"{count} deliveries due again")


@webhooks_group.command("deliveries")
@click.option("--status", type=click.Choice([status.value for status in DeliveryStatus]), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@json_option
@with_appcontext
def list_deliveries(status: str | None, limit: int, as_json: bool) -> None:
    """Deliveries, newest event first: id, event, type, endpoint, status, attempts, last outcome."""
    from consent_service.extensions import db  # as in `run`
    from consent_service.webhooks import deliveries

    rows = deliveries.list_deliveries(
        session=db.session(), status=DeliveryStatus(status) if status else None, limit=limit
    )
    echo_rows(
        ("id", "event", "type", "endpoint", "status", "attempts", "last_outcome"),
        [
            {
                "id": delivery.id,
                "event": event.id,
                "type": event.type,
                "endpoint": delivery.endpoint_id,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_outcome": delivery.last_error
                or (str(delivery.last_status_code) if delivery.last_status_code else None),
            }
            for delivery, event in rows
        ],
        as_json=as_json,
    )
