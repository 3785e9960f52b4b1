"""Webhook endpoints, the outbox of events, and one delivery per endpoint and event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # The signing secret must be usable to sign, so it is stored, encrypted with KEY_ENCRYPTION_KEYS.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _next_sequence(FunctionElement[int]):
    """The next event's sequence: PostgreSQL's BIGSERIAL sequence; on SQLite, where a key of two columns
    has no rowid to count with, one more than the highest, read inside the INSERT and so under its write
    lock (retention removes old events only, so a number is not given twice while a later one is kept)."""

    type = BigInteger()
    inherit_cache = True


@compiles(_next_sequence)
def _next_sequence_sqlite(element: _next_sequence, compiler: SQLCompiler, **kw: object) -> str:
    return "(SELECT coalesce(max(sequence), 0) + 1 FROM webhook_events)"


@compiles(_next_sequence, "postgresql")
def _next_sequence_postgresql(element: _next_sequence, compiler: SQLCompiler, **kw: object) -> str:
    return "nextval('webhook_events_sequence_seq')"


class WebhookEvent(Base):
    """The outbox: written in the transaction of the change it reports, so it exists iff that committed.

    On PostgreSQL partitioned by month of `created_at` (migration 0029), so its keys hold it: `sequence`
    alone stays unique (it comes from one sequence), and so does `id` (new_id is random).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("id", "created_at"),)

    # Insertion order; writers of one subject are serialized, so it is that subject's revision order too.
    sequence: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False, default=_next_sequence())
    id: Mapped[str] = mapped_column(String(40))  # msg_...: the webhook-id receivers deduplicate on
    type: Mapped[str] = mapped_column(String(64))
    # Events sharing a key (e.g. "customer:c-1") reach each endpoint in sequence order; None orders nothing.
    ordering_key: Mapped[str | None] = mapped_column(String(300))
    revision: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)


class WebhookDelivery(Base):
    """One event on its way to one endpoint: the retry schedule, the worker's lease, the last outcome.

    On PostgreSQL partitioned by month of its event's `created_at` (`event_created_at`, migration 0029),
    so that a month of the outbox is one partition of each table and goes whole once finished.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["event_sequence", "event_created_at"], ["webhook_events.sequence", "webhook_events.created_at"]
        ),
        # Event first: it is also the index that finds an event's deliveries (retention, the foreign key's
        # checks when events go); the endpoint's are found by the ordering index.
        UniqueConstraint(
            "event_sequence", "event_created_at", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"
        ),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # The "is an earlier event of this subject still open for this endpoint?" probe.
        Index("ix_webhook_deliveries_endpoint_ordering", "endpoint_id", "ordering_key", "event_sequence"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # dlv_...
    event_sequence: Mapped[int] = mapped_column(BigId)
    # The event's, copied: the column both tables are partitioned by, so the foreign key can name it.
    event_created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_endpoints.id"))
    # Copied from the event so the ordering probe reads one table.
    ordering_key: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The maximum age counts from here: the event's creation, or the last manual replay.
    retrying_since: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
