"""`flask mail send` sends what is due and says how many; `flask mail run` sends until its signal, and without
SMTP_URL idles (saying why once) instead of exiting, so honcho keeps `make run`'s other processes."""
from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.mail import service
from consent_service.mail.models import OutgoingMail
from consent_service.mail.service import Mail

SENDER = "privacy@example.com"


def enqueue(session, clock, count: int) -> None:
    """Mails 0 .. count-1, each a second after the one before, so batches take them in that order."""
    for number in range(count):
        service.enqueue(session=session, mail=Mail(to=f"p{number}@example.net", subject=f"Mail {number}", text="t"),
                        now=clock())
        clock.advance(seconds=1)
    session.commit()


def test_send_sends_everything_due_in_batches(app, app_with, session, clock, smtp_server):
    enqueue(session, clock, 3)
    mailer = app_with(smtp_url=smtp_server.url, smtp_from=SENDER)
    with mailer.app_context():  # the command runs in the app whose context is current
        result = mailer.test_cli_runner().invoke(args=["mail", "send", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "3 mails sent\n"
    assert sorted(m["Subject"] for m in smtp_server.wait_for(3)) == ["Mail 0", "Mail 1", "Mail 2"]
    assert all(m["From"] == SENDER for m in smtp_server.messages)
    session.expire_all()
    assert session.scalars(select(OutgoingMail)).all() == []


def test_send_without_smtp_url_says_there_is_nothing_to_send_through(app, session, clock):
    enqueue(session, clock, 1)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "SMTP_URL is not set" in result.output
    session.expire_all()
    assert len(session.scalars(select(OutgoingMail)).all()) == 1


@contextmanager
def signal_when(condition: Callable[[], bool], logger: str) -> Iterator[list[str]]:
    """SIGTERM to this process once `condition` holds after a record of `logger`, as a supervisor would send it;
    the handlers `flask mail run` installs are put back afterwards."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    said: list[str] = []
    ready, cancelled = threading.Event(), threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())
            if condition():
                ready.set()

    watch = Watch(level=logging.INFO)
    watched = logging.getLogger(logger)
    previous_level = watched.level
    watched.setLevel(logging.INFO)
    watched.addHandler(watch)
    # Sent from a thread once the command has logged, so its handlers are in place (after 30 s regardless, so a
    # failing test ends: its assertions then say what was missing).
    def terminate() -> None:
        ready.wait(30)
        if not cancelled.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=terminate, daemon=True)
    sender.start()
    try:
        yield said
    finally:
        cancelled.set()  # the command has returned: no signal may outlive its handlers
        ready.set()
        sender.join(30)
        watched.removeHandler(watch)
        watched.setLevel(previous_level)
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def test_run_without_smtp_url_idles_until_its_signal_and_says_why_once(app, session, clock):
    enqueue(session, clock, 1)
    with signal_when(lambda: True, "consent_service.mail") as said:
        result = app.test_cli_runner().invoke(args=["mail", "run", "--poll-interval", "0.1"])
    assert result.exit_code == 0, result.output
    assert said == ["mailer idle: SMTP_URL is not set, so no mail is sent (privacy requests verify by webhook)"]
    session.expire_all()
    assert len(session.scalars(select(OutgoingMail)).all()) == 1


def test_run_sends_until_its_signal(app, app_with, session, clock, smtp_server, tmp_path):
    enqueue(session, clock, 2)
    mailer = app_with(smtp_url=smtp_server.url, smtp_from=SENDER)
    heartbeat = tmp_path / "heartbeat"
    with signal_when(lambda: len(smtp_server.messages) == 2, "consent_service.mail") as said:
        with mailer.app_context():
            result = mailer.test_cli_runner().invoke(
                args=["mail", "run", "--poll-interval", "0.1", "--heartbeat-file", str(heartbeat)]
            )
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 2 and heartbeat.exists()
    assert said[0].startswith("mailer ") and said[0].endswith(" started")
    assert "mail: 2 sent" in said and said[-1].endswith(" stopped")
    with mailer.app_context():
        assert db.session.scalars(select(OutgoingMail)).all() == []


def test_send_goes_on_past_a_batch_that_failed(app, app_with, session, clock, smtp_server):
    # The first batch (mails 0 and 1) sends nothing; the command still goes on to mail 2.
    smtp_server.refused.update({"p0@example.net", "p1@example.net"})
    enqueue(session, clock, 3)
    mailer = app_with(smtp_url=smtp_server.url, smtp_from=SENDER)
    with mailer.app_context():
        result = mailer.test_cli_runner().invoke(args=["mail", "send", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 mails sent\n"
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["p2@example.net"]
    session.expire_all()
    assert [row.status for row in session.scalars(select(OutgoingMail))] == ["failed", "failed"]
