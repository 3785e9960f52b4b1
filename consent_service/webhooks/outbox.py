"""The outbox's retention: finished events past RETENTION_WEBHOOK_OUTBOX_DAYS go, whole months at a time.

An event is finished when none of its deliveries is still open (pending or being delivered): each was
delivered, or failed for good (a failed one stays replayable until then). On PostgreSQL the outbox is
partitioned by month of the event's time (migration 0029, consent_service/partitions.py): a month past
the period whose deliveries are all finished is detached and dropped, both tables' partitions at once,
instead of deleted row by row. A month holding one open delivery, and the rows in the DEFAULT partitions,
keep the row path: finished events past the period deleted with their deliveries, in committed batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, or_, select, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from consent_service import partitions
from consent_service.vocabulary import DeliveryStatus
from consent_service.webhooks.models import WebhookDelivery, WebhookEvent

OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value)
BATCH_SIZE = 1000
# How long a month's drop waits for the outbox's lock before leaving the month to the next run: the lock
# queues every writer of an event behind it, so it is never waited for long.
LOCK_TIMEOUT = "5s"
LOCK_NOT_AVAILABLE = "55P03"


@dataclass
class Forgotten:
    months_dropped: list[str] = field(default_factory=list)  # the events' partitions (would be, on a dry run)
    events_deleted: int = 0  # by rows, outside the dropped months


def ensure_months(*, session: Session, now: datetime, ahead: int = partitions.MONTHS_AHEAD) -> list[str]:
    """Make this month's and the `ahead` next months' partitions of both tables that are missing."""
    return [
        *partitions.ensure_months(session=session, table=partitions.OUTBOX_EVENTS, now=now, ahead=ahead),
        *partitions.ensure_months(session=session, table=partitions.OUTBOX_DELIVERIES, now=now, ahead=ahead),
    ]


def forget_finished(
    *, session: Session, before: datetime, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> Forgotten:
    """Remove the finished events created before `before`, with their deliveries: whole months where the
    outbox is partitioned, rows elsewhere. Each month and each batch is a committed transaction of its
    own (nothing is committed on a dry run: the caller rolls back)."""
    forgotten = Forgotten()
    dropped: list[partitions.Partition] = []
    deliveries_months = {p.start: p for p in partitions.months(session, partitions.OUTBOX_DELIVERIES)}
    for month in partitions.months(session, partitions.OUTBOX_EVENTS):
        if month.end > before:
            break  # later months hold events within the period
        deliveries_month = deliveries_months.get(month.start)
        # Without the deliveries' month (its rows went to their DEFAULT), the month goes by rows.
        if deliveries_month is not None and _drop_month(session, month, deliveries_month, dry_run=dry_run):
            forgotten.months_dropped.append(month.name)
            dropped.append(month)
    after = 0
    while True:
        # A dry run's dropped months are still there: their events are counted once, with the month.
        events = _finished(session, before, after, batch_size, lock=not dry_run, skipped=dropped)
        if not events:
            break
        after = events[-1][0]
        if dry_run:
            forgotten.events_deleted += len(events)
            continue
        keys = [tuple(event) for event in events]
        # A delivery replayed since the look above is open again: it stays, and so does its event.
        session.execute(
            delete(WebhookDelivery).where(
                tuple_(WebhookDelivery.event_sequence, WebhookDelivery.event_created_at).in_(keys),
                WebhookDelivery.status.not_in(OPEN),
            )
        )
        deleted = session.execute(
            delete(WebhookEvent).where(
                tuple_(WebhookEvent.sequence, WebhookEvent.created_at).in_(keys),
                ~exists().where(
                    WebhookDelivery.event_sequence == WebhookEvent.sequence,
                    WebhookDelivery.event_created_at == WebhookEvent.created_at,
                ),
            )
        )
        forgotten.events_deleted += cast(CursorResult[Any], deleted).rowcount
        session.commit()
    return forgotten


def _finished(
    session: Session, before: datetime, after: int, limit: int, *, lock: bool, skipped: list[partitions.Partition]
) -> list:
    """Up to `limit` finished events created before `before`, after sequence `after`, in sequence order;
    those another run holds are skipped (PostgreSQL)."""
    still_open = exists().where(
        WebhookDelivery.event_sequence == WebhookEvent.sequence,
        WebhookDelivery.event_created_at == WebhookEvent.created_at,
        WebhookDelivery.status.in_(OPEN),
    )
    query = (
        select(WebhookEvent.sequence, WebhookEvent.created_at)
        .where(WebhookEvent.sequence > after, WebhookEvent.created_at < before, ~still_open)
        .where(*(or_(WebhookEvent.created_at < month.start, WebhookEvent.created_at >= month.end) for month in skipped))
        .order_by(WebhookEvent.sequence)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query))


def _drop_month(
    session: Session, events: partitions.Partition, deliveries: partitions.Partition, *, dry_run: bool
) -> bool:
    """Drop the month of both tables if none of its deliveries is open; whether it was (would be) dropped."""
    if dry_run:
        return not _open_in(session, deliveries)
    session.commit()
    if not partitions.claim_drops(session, partitions.OUTBOX_EVENTS, events):
        session.rollback()
        return False  # another run dropped it
    # Both tables, deliveries first as every writer takes them, so that no delivery of the month opens
    # (a replay) between the look below and the drop; held for the look and the two drops only.
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    try:
        session.execute(text("LOCK TABLE webhook_deliveries, webhook_events IN ACCESS EXCLUSIVE MODE"))
    except OperationalError as exc:
        session.rollback()
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return False  # busy: the next run drops it
        raise
    if _open_in(session, deliveries):
        session.rollback()
        return False
    partitions.drop(session, partitions.OUTBOX_DELIVERIES, deliveries)
    partitions.drop(session, partitions.OUTBOX_EVENTS, events)
    session.commit()
    return True


def _open_in(session: Session, deliveries: partitions.Partition) -> bool:
    statuses = ", ".join(f"'{status}'" for status in OPEN)
    return bool(session.scalar(text(f"SELECT EXISTS (SELECT FROM {deliveries.name} WHERE status IN ({statuses}))")))
