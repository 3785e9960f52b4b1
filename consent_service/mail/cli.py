"""`flask mail run|send`: the mailer that empties the outbox over SMTP, as a loop or once."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)

batch_option = click.option(
    "--batch", default=20, show_default=True, type=click.IntRange(1, 200), help="Mails leased and sent at a time."
)


@click.group("mail")
def mail_group() -> None:
    """Outgoing mail (privacy request verification links and outcomes)."""


@mail_group.command("run")
@batch_option
@click.option(
    "--poll-interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds between polls when nothing is due.",
)
@click.option(
    "--heartbeat-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Touched after every poll that reached the database (for a container healthcheck).",
)
@with_appcontext
def run(batch: int, poll_interval: float, heartbeat_file: Path | None) -> None:
    """Send mail until SIGTERM or SIGINT, which let the batch in hand finish first.

    Without SMTP_URL there is nothing to send through: the mailer says so once and waits for its signal,
    so a supervisor that stops every process when one exits (honcho, `make run`) keeps the others."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from sqlalchemy.exc import OperationalError

    from consent_service.extensions import db
    from consent_service.mail import service
    from consent_service.mail.transport import SmtpTransport
    from consent_service.runtime import runtime

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    transport = SmtpTransport.from_settings(runtime().settings)
    if transport is None:
        log.info("mailer idle: SMTP_URL is not set, so no mail is sent (privacy requests verify by webhook)")
        stop.wait()
        return
    heartbeat = heartbeat_file.touch if heartbeat_file else lambda: None
    clock = current_app.config["CLOCK"]
    owner = service.new_owner()
    log.info("mailer %s started", owner)
    while not stop.is_set():
        try:
            sent = service.send_due(
                session_factory=db.session, transport=transport, now=clock(), limit=batch, owner=owner
            )
        except OperationalError as error:
            # The database is away: keep the process, try again after a pause.
            db.session.rollback()
            log.error("mailer: database unavailable (%s)", error.orig.__class__.__name__)
            stop.wait(poll_interval)
            continue
        heartbeat()
        if not sent:
            stop.wait(poll_interval)
    log.info("mailer %s stopped", owner)


@mail_group.command("send")
@batch_option
@with_appcontext
def send(batch: int) -> None:
    """Send the mail due now, then exit (cron, tests); say how many were sent."""
    from consent_service.extensions import db  # as in `run`
    from consent_service.mail import service
    from consent_service.mail.transport import SmtpTransport
    from consent_service.runtime import runtime

    transport = SmtpTransport.from_settings(runtime().settings)
    if transport is None:
        raise click.ClickException("SMTP_URL is not set: there is no mail server to send through")
    clock = current_app.config["CLOCK"]
    total = 0
    # Each round sends its mails or moves them out of reach (retried later, or failed), so this ends.
    while service.has_due(session=db.session(), now=clock()):
        total += service.send_due(session_factory=db.session, transport=transport, now=clock(), limit=batch)
    db.session.rollback()
    click.echo(f"{total} mails sent")
