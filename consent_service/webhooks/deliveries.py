"""The delivery queue: claim due deliveries under a lease, record outcomes with backoff, replay."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from consent_service.errors import NotFound
from consent_service.vocabulary import DeliveryStatus
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

PENDING, DELIVERING = DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value
DELIVERED, FAILED = DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value
GONE = 410  # Standard Webhooks: the receiver asks to stop; the endpoint is disabled


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    max_seconds: float
    max_age_seconds: float

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempts-1))]."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempts - 1, 32))
        return timedelta(seconds=rng.uniform(0, ceiling))


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to send one delivery, read when it was claimed."""

    delivery_id: str
    msg_id: str
    url: str
    secret_encrypted: str
    body: bytes
    attempts: int
    retrying_since: datetime


@dataclass(frozen=True)
class Outcome:
    delivery_id: str
    sent: bool = True  # False: released unsent, because the lease could run out during the send
    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim(*, session: Session, owner: str, limit: int, lease_seconds: float, now: datetime) -> list[Claimed]:
    """Lease up to `limit` due deliveries to `owner`; the caller commits to make the claim visible.

    On PostgreSQL the candidates are row-locked with SKIP LOCKED, so concurrent workers pick
    different rows without waiting. On SQLite the SELECT locks nothing; the UPDATE re-checks
    that each row is still due under SQLite's single write lock, so a row two workers both
    read is claimed by the first one only.
    """
    due = _due(now)
    candidates = session.scalars(
        select(WebhookDelivery.id)
        .where(due)
        .order_by(WebhookDelivery.event_sequence)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    if not candidates:
        return []
    claimed_ids = session.scalars(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(candidates), due)
        .values(status=DELIVERING, lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed_ids:
        return []
    rows = session.execute(
        select(
            WebhookDelivery,
            WebhookEvent.id,
            WebhookEvent.payload,
            WebhookEndpoint.url,
            WebhookEndpoint.secret_encrypted,
        )
        .join(WebhookEvent, WebhookEvent.sequence == WebhookDelivery.event_sequence)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(claimed_ids))
        .order_by(WebhookDelivery.event_sequence)
    )
    return [
        Claimed(
            delivery_id=delivery.id,
            msg_id=msg_id,
            url=url,
            secret_encrypted=secret_encrypted,
            body=json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(),
            attempts=delivery.attempts,
            retrying_since=delivery.retrying_since,
        )
        for delivery, msg_id, payload, url, secret_encrypted in rows
    ]


def record(
    *,
    session: Session,
    owner: str,
    claimed: Sequence[Claimed],
    outcomes: Sequence[Outcome],
    policy: RetryPolicy,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Write each outcome if `owner` still holds the lease; return how many ended in each status."""
    by_id = {item.delivery_id: item for item in claimed}
    counts = {PENDING: 0, DELIVERED: 0, FAILED: 0, "lease_lost": 0}
    for outcome in outcomes:
        item = by_id[outcome.delivery_id]
        values = _next_state(item, outcome, policy, now, rng)
        changed = cast(
            CursorResult[Any],
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == outcome.delivery_id,
                    WebhookDelivery.lease_owner == owner,
                    WebhookDelivery.status == DELIVERING,
                )
                .values(lease_owner=None, lease_until=None, **values)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if not changed:
            # The endpoint was deleted or the delivery replayed meanwhile; its new state stands.
            log.warning("webhook delivery %s changed while it was being sent; outcome not recorded", item.delivery_id)
            counts["lease_lost"] += 1
            continue
        counts[values["status"]] += 1
        if outcome.status_code == GONE:
            session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id
                    == select(WebhookDelivery.endpoint_id)
                    .where(WebhookDelivery.id == item.delivery_id)
                    .scalar_subquery()
                )
                .values(enabled=False, updated_at=now)
                .execution_options(synchronize_session=False)
            )
    return counts


def replay(*, session: Session, ids: Sequence[str] = (), failed: bool = False, now: datetime) -> int:
    """Send again, due now with a fresh maximum age: deliveries (dlv_) or every delivery of events (msg_)."""
    selected = []
    if ids:
        events = select(WebhookEvent.sequence).where(WebhookEvent.id.in_(ids))
        selected.append(or_(WebhookDelivery.id.in_(ids), WebhookDelivery.event_sequence.in_(events)))
    if failed:
        selected.append(WebhookDelivery.status == FAILED)
    if not selected:
        return 0
    replayed = cast(
        CursorResult[Any],
        session.execute(
            update(WebhookDelivery)
            .where(or_(*selected), WebhookDelivery.status != DELIVERING)
            .values(status=PENDING, next_attempt_at=now, retrying_since=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if ids and not replayed:
        raise NotFound("No delivery or event with these ids, or they are being delivered right now.")
    return replayed


def list_deliveries(
    *, session: Session, status: DeliveryStatus | None = None, limit: int = 100
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """Deliveries with their events, newest event first."""
    query = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.sequence == WebhookDelivery.event_sequence)
        .order_by(WebhookDelivery.event_sequence.desc(), WebhookDelivery.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    return [(delivery, event) for delivery, event in session.execute(query)]


def _due(now: datetime) -> ColumnElement[bool]:
    """Claimable now, to an enabled endpoint, and the oldest open event of its ordering key there."""
    earlier = aliased(WebhookDelivery)
    return and_(
        or_(
            and_(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now),
            # A worker that died mid-batch leaves its claims behind; they come back when the lease ends.
            and_(WebhookDelivery.status == DELIVERING, WebhookDelivery.lease_until <= now),
        ),
        exists().where(WebhookEndpoint.id == WebhookDelivery.endpoint_id, WebhookEndpoint.enabled.is_(True)),
        ~exists().where(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.ordering_key == WebhookDelivery.ordering_key,
            earlier.event_sequence < WebhookDelivery.event_sequence,
            earlier.status.in_([PENDING, DELIVERING]),
        ),
    )


def _next_state(item: Claimed, outcome: Outcome, policy: RetryPolicy, now: datetime, rng: random.Random) -> dict:
    if not outcome.sent:
        return {"status": PENDING}
    attempts = item.attempts + 1
    values = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500] if outcome.error else None,
    }
    if outcome.delivered:
        return {**values, "status": DELIVERED, "delivered_at": now}
    if outcome.status_code == GONE:
        return {**values, "status": FAILED, "last_error": "410 Gone: the endpoint asked to stop and was disabled"}
    give_up_at = item.retrying_since + timedelta(seconds=policy.max_age_seconds)
    if now >= give_up_at:
        return {**values, "status": FAILED}
    # The last retry lands on the maximum age itself rather than being skipped.
    return {**values, "status": PENDING, "next_attempt_at": min(now + policy.delay(attempts, rng), give_up_at)}
