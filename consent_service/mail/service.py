"""The outbox: mail is enqueued in the caller's transaction and sent by a worker under a lease, with retries.

A mail is sent at least once and, short of a worker dying between the server's "250 OK" and its own commit,
exactly once: a worker leases the rows it sends, another takes none of them until the lease has run out, and
the lease outlasts every send the worker may still start (the transport bounds each step by its timeout).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.errors import ValidationFailed
from consent_service.mail.models import OutgoingMail
from consent_service.mail.transport import ADDRESS, Envelope, MailNotSent, SmtpTransport
from consent_service.vocabulary import MailStatus

log = logging.getLogger(__name__)

PENDING, FAILED = MailStatus.PENDING.value, MailStatus.FAILED.value
MAX_ADDRESS = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
MAX_SUBJECT = 300
LINE_BREAK = re.compile(r"[\r\n]")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts double their wait from `base_seconds` up to `max_seconds`; after `max_attempts` the mail fails.

    The defaults try for about six hours, long enough to ride out a mail server's restart or a maintenance
    window, short of the verification links' day-long lifetime."""

    max_attempts: int = 10
    base_seconds: float = 30
    max_seconds: float = 3600

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** min(attempts - 1, 32)))


@dataclass(frozen=True)
class _Claimed:
    id: str
    attempts: int
    envelope: Envelope


@dataclass(frozen=True)
class _Outcome:
    id: str
    tried: bool = True  # False: released untried, since the lease could have run out during the send
    error: str | None = None
    permanent: bool = False


def enqueue(*, session: Session, mail: Mail, now: datetime) -> str:
    """Put the mail in the outbox (no commit: it leaves with the caller's transaction); its id."""
    errors: dict[str, list[str]] = {}
    if len(mail.to) > MAX_ADDRESS or not ADDRESS.fullmatch(mail.to):
        errors["to"] = ["One email address, such as name@example.com."]
    if not mail.subject.strip() or len(mail.subject) > MAX_SUBJECT or LINE_BREAK.search(mail.subject):
        errors["subject"] = [f"One line of at most {MAX_SUBJECT} characters."]
    if not mail.text.strip():
        errors["text"] = ["A mail needs a text body."]
    if errors:
        raise ValidationFailed("The mail cannot be sent.", errors=errors)
    row = OutgoingMail(
        id=new_id("mail"),
        to=mail.to,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        status=PENDING,
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(row)
    return row.id


def send_due(
    *,
    session_factory: Callable[[], Session],
    transport: SmtpTransport,
    now: datetime,
    limit: int = 20,
    policy: RetryPolicy | None = None,
    owner: str | None = None,
) -> int:
    """Lease up to `limit` due mails, send them over one connection, record each outcome; how many were sent.

    The claim is committed before anything is sent and the outcomes after, so no transaction stays open
    while the mail server is talked to."""
    policy = policy or RetryPolicy()
    owner = owner or new_owner()
    lease_seconds = lease_for(timeout=transport.timeout, limit=limit)
    session = session_factory()
    claimed = _claim(session=session, owner=owner, limit=limit, lease_seconds=lease_seconds, now=now)
    session.commit()
    if not claimed:
        return 0
    # No send may start that could still run when the lease ends and another worker takes the mail over.
    latest_start = time.monotonic() + lease_seconds - 3 * transport.timeout
    outcomes: list[_Outcome] = []
    with transport.connection() as connection:
        for item in claimed:
            if time.monotonic() > latest_start:
                outcomes.append(_Outcome(id=item.id, tried=False))
                continue
            try:
                connection.send(transport.build(item.envelope, date=now))
            except MailNotSent as error:
                outcomes.append(_Outcome(id=item.id, error=error.message, permanent=error.permanent))
            else:
                outcomes.append(_Outcome(id=item.id))
    session = session_factory()
    sent = _record(session=session, owner=owner, claimed=claimed, outcomes=outcomes, policy=policy, now=now)
    session.commit()
    return sent


def has_due(*, session: Session, now: datetime) -> bool:
    """Whether a mail is waiting to be sent now (and not leased by a worker)."""
    return session.scalar(select(OutgoingMail.id).where(_due(now)).limit(1)) is not None


def lease_for(*, timeout: float, limit: int) -> float:
    """Each mail may take a reconnect and a send, each bounded by the timeout; one more each for start and end."""
    return timeout * (2 * limit + 2)


def new_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutgoingMail.status == PENDING,
        OutgoingMail.next_attempt_at <= now,
        # A worker that died mid-batch leaves its leases behind; the mails come back when they run out.
        or_(OutgoingMail.leased_until.is_(None), OutgoingMail.leased_until <= now),
    )


def _claim(*, session: Session, owner: str, limit: int, lease_seconds: float, now: datetime) -> list[_Claimed]:
    """On PostgreSQL the candidates are row-locked with SKIP LOCKED, so workers pick different rows without
    waiting; on SQLite the UPDATE re-checks that each row is still due under the single write lock, so a row
    two workers both read is leased by the first only."""
    candidates = session.scalars(
        select(OutgoingMail.id)
        .where(_due(now))
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        return []
    leased = session.scalars(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(candidates), _due(now))
        .values(lease_owner=owner, leased_until=now + timedelta(seconds=lease_seconds))
        .returning(OutgoingMail.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not leased:
        return []
    rows = session.execute(
        select(
            OutgoingMail.id,
            OutgoingMail.attempts,
            OutgoingMail.to,
            OutgoingMail.subject,
            OutgoingMail.body_text,
            OutgoingMail.body_html,
        )
        .where(OutgoingMail.id.in_(leased))
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
    )
    return [
        _Claimed(
            id=id_,
            attempts=attempts,
            envelope=Envelope(message_id=id_, to=to or "", subject=subject, text=text or "", html=html),
        )
        for id_, attempts, to, subject, text, html in rows
    ]


def _record(
    *,
    session: Session,
    owner: str,
    claimed: Sequence[_Claimed],
    outcomes: Sequence[_Outcome],
    policy: RetryPolicy,
    now: datetime,
) -> int:
    """Write each outcome while `owner` still holds the lease: delete the sent, reschedule or fail the rest."""
    attempts_of = {item.id: item.attempts for item in claimed}
    sent = 0
    for outcome in outcomes:
        held = (OutgoingMail.id == outcome.id, OutgoingMail.lease_owner == owner)
        statement: Any
        if not outcome.tried:
            statement = update(OutgoingMail).where(*held).values(lease_owner=None, leased_until=None)
        elif outcome.error is None:
            statement = delete(OutgoingMail).where(*held)
        else:
            attempts = attempts_of[outcome.id] + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_error": outcome.error[:500],
                "lease_owner": None,
                "leased_until": None,
            }
            if outcome.permanent or attempts >= policy.max_attempts:
                # Given up: the address and the body are personal data with no purpose left.
                values.update(status=FAILED, failed_at=now, to=None, body_text=None, body_html=None)
                log.error("mail %s failed after %d attempts: %s", outcome.id, attempts, outcome.error)
            else:
                values["next_attempt_at"] = now + policy.delay(attempts)
                log.warning("mail %s: attempt %d failed (%s); tried again later", outcome.id, attempts, outcome.error)
            statement = update(OutgoingMail).where(*held).values(**values)
        changed = cast(CursorResult[Any], session.execute(statement.execution_options(synchronize_session=False)))
        if not changed.rowcount:
            log.warning("mail %s was taken over by another worker while it was sent; outcome not recorded", outcome.id)
            continue
        if outcome.tried and outcome.error is None:
            sent += 1
    if sent:
        log.info("mail: %d sent", sent)
    return sent
