"""The outbox on both databases: enqueue checks the mail, send_due leases, sends, deletes, retries with backoff and
gives up keeping no address or body; a mail leased by one worker is not sent by another."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from consent_service.errors import ValidationFailed
from consent_service.extensions import db
from consent_service.mail import service
from consent_service.mail.models import OutgoingMail
from consent_service.mail.service import Mail, RetryPolicy
from consent_service.mail.transport import SmtpTarget, SmtpTransport
from tests import run_logs

TO = "person@example.net"
MAIL = Mail(to=TO, subject="Confirm your privacy request", text="Follow https://consent.test/v/abc", html="<p>x</p>")


@pytest.fixture(autouse=True)
def _remember_addresses():
    # The run's log scan looks for them: no log line may carry a recipient.
    for address in (TO, "gone@example.net", "second@example.net"):
        run_logs.remember_secret("email", address)


def transport(url: str, timeout: float = 5) -> SmtpTransport:
    return SmtpTransport(target=SmtpTarget.parse(url), sender="privacy@example.com", timeout=timeout)


def enqueue(session, clock, mail: Mail = MAIL) -> str:
    mail_id = service.enqueue(session=session, mail=mail, now=clock())
    session.commit()
    return mail_id


def rows(session) -> list[OutgoingMail]:
    session.expire_all()
    return list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.created_at, OutgoingMail.id)))


@contextmanager
def refusing_port() -> Iterator[str]:
    """smtp://127.0.0.1:PORT on a port bound but never listening: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"smtp://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_a_mail_waits_for_the_callers_commit_then_is_sent_and_forgotten(app, session, clock, smtp_server):
    mail_id = service.enqueue(session=session, mail=MAIL, now=clock())
    assert mail_id.startswith("mail_")
    session.rollback()  # the change it belonged to did not happen: neither does the mail
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 0
    mail_id = enqueue(session, clock)
    [row] = rows(session)
    assert (row.to, row.status, row.attempts, row.next_attempt_at) == (TO, "pending", 0, clock())
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 1
    [message] = smtp_server.wait_for(1)
    assert message["To"] == TO and message["Subject"] == MAIL.subject
    assert message["Message-ID"] == f"<{mail_id}@example.com>"
    assert message.get_body(("plain",)).get_content().strip() == MAIL.text
    assert rows(session) == []  # the address is personal data: gone once delivered
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 0
    assert len(smtp_server.messages) == 1


def test_a_batch_sends_at_most_its_limit_oldest_first(app, session, clock, smtp_server):
    for number in range(3):
        enqueue(session, clock, Mail(to=f"p{number}@example.net", subject=f"Mail {number}", text="t"))
        clock.advance(seconds=1)
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock(), limit=2) == 2
    assert [m["Subject"] for m in smtp_server.wait_for(2)] == ["Mail 0", "Mail 1"]
    assert [row.subject for row in rows(session)] == ["Mail 2"]


@pytest.mark.parametrize(
    ("mail", "field"),
    [
        (Mail(to="not-an-address", subject="s", text="t"), "to"),
        (Mail(to="a@b.test, c@d.test", subject="s", text="t"), "to"),
        (Mail(to="a@b.test\r\nBcc: c@d.test", subject="s", text="t"), "to"),
        (Mail(to="x" * 310 + "@example.net", subject="s", text="t"), "to"),
        (Mail(to=TO, subject="s\r\nBcc: c@d.test", text="t"), "subject"),
        (Mail(to=TO, subject=" ", text="t"), "subject"),
        (Mail(to=TO, subject="s", text=""), "text"),
    ],
)
def test_a_mail_that_cannot_be_sent_is_refused_and_nothing_stored(app, session, clock, mail, field):
    with pytest.raises(ValidationFailed) as refused:
        service.enqueue(session=session, mail=mail, now=clock())
    assert list(refused.value.errors) == [field]
    session.commit()
    assert rows(session) == []


def test_a_mail_leased_by_one_worker_is_not_sent_by_another(app, session, clock, smtp_server):
    enqueue(session, clock)
    # A first worker has leased it (and is busy sending, or died doing so).
    [claimed] = service._claim(session=session, owner="first", limit=20, lease_seconds=60, now=clock())
    session.commit()
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 0
    clock.advance(seconds=59)
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 0
    assert smtp_server.messages == []
    clock.advance(seconds=1)  # the lease has run out: the first worker is presumed dead
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock(),
                            owner="second") == 1
    smtp_server.wait_for(1)
    # The first worker's late outcome changes nothing: the mail is no longer its own.
    outcome = service._Outcome(id=claimed.id, error="SMTP 451 try later")
    assert service._record(session=session, owner="first", claimed=[claimed], outcomes=[outcome],
                           policy=RetryPolicy(), now=clock()) == 0
    session.commit()
    assert rows(session) == []


def test_the_lease_covers_every_send_the_batch_may_start():
    assert service.lease_for(timeout=10, limit=20) == 420


def test_an_unreachable_server_counts_an_attempt_and_the_mail_is_tried_later(app, session, clock, smtp_server):
    enqueue(session, clock)
    with refusing_port() as url:
        assert service.send_due(session_factory=db.session, transport=transport(url), now=clock()) == 0
    [row] = rows(session)
    assert (row.status, row.attempts, row.to, row.leased_until, row.lease_owner) == ("pending", 1, TO, None, None)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at == clock() + RetryPolicy().delay(1)
    clock.advance(seconds=29)  # not due yet, even with the server back
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 0
    clock.advance(seconds=1)
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 1
    smtp_server.wait_for(1)
    assert rows(session) == []


def test_the_waits_double_up_to_their_ceiling():
    policy = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=3600)
    assert [policy.delay(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_after_the_last_attempt_the_mail_fails_without_its_address_or_body(app, session, clock):
    enqueue(session, clock)
    policy = RetryPolicy(max_attempts=3, base_seconds=10, max_seconds=15)
    with refusing_port() as url:
        for wait in (0, 10, 15):
            clock.advance(seconds=wait)
            service.send_due(session_factory=db.session, transport=transport(url), now=clock(), policy=policy)
    [row] = rows(session)
    assert (row.status, row.attempts, row.failed_at) == ("failed", 3, clock())
    assert (row.to, row.body_text, row.body_html) == (None, None, None)
    assert row.subject == MAIL.subject and row.last_error.startswith("ConnectionRefusedError")
    clock.advance(days=1)
    with refusing_port() as url:  # a failed mail is never tried again
        assert service.send_due(session_factory=db.session, transport=transport(url), now=clock()) == 0
    assert rows(session)[0].attempts == 3


def test_a_refused_recipient_fails_at_once_and_the_others_are_sent(app, session, clock, smtp_server):
    smtp_server.refused.add("gone@example.net")
    enqueue(session, clock, Mail(to="gone@example.net", subject="First", text="t"))
    clock.advance(seconds=1)
    enqueue(session, clock, Mail(to="second@example.net", subject="Second", text="t"))
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 1
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Second"]
    [row] = rows(session)
    assert (row.subject, row.status, row.attempts, row.to, row.body_text) == ("First", "failed", 1, None, None)
    assert row.last_error.startswith("recipient refused: SMTP 550 5.1.1 <address>")
    assert "gone@" not in row.last_error


def test_a_row_the_email_package_cannot_write_fails_and_the_batch_goes_on(app, session, clock, smtp_server):
    # Written around enqueue's checks (by hand, or by an older version): the mailer must not stop on it.
    session.add(OutgoingMail(id="mail_broken", to="a@b.test\nBcc: c@d.test", subject="Broken", body_text="t",
                             status="pending", created_at=clock(), attempts=0, next_attempt_at=clock()))
    session.commit()
    clock.advance(seconds=1)
    enqueue(session, clock)
    assert service.send_due(session_factory=db.session, transport=transport(smtp_server.url), now=clock()) == 1
    assert [m["To"] for m in smtp_server.wait_for(1)] == [TO]
    [row] = rows(session)
    assert (row.id, row.status, row.to, row.last_error) == ("mail_broken", "failed", None, "cannot be written: ValueError")
