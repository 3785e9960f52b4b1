"""Webhook endpoints, the outbox of events, and one delivery per endpoint and event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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


class WebhookEvent(Base):
    """The outbox: written in the transaction of the change it reports, so it exists iff that committed."""

    __tablename__ = "webhook_events"

    # Insertion order; writers of one subject are serialized, so it is that subject's revision order too.
    sequence: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)  # msg_...: the webhook-id receivers deduplicate on
    type: Mapped[str] = mapped_column(String(64))
    # Events sharing a key (e.g. "customer:c-1") reach each endpoint in sequence order; None orders nothing.
    ordering_key: Mapped[str | None] = mapped_column(String(300))
    revision: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event on its way to one endpoint: the retry schedule, the worker's lease, the last outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_sequence"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # The "is an earlier event of this subject still open for this endpoint?" probe.
        Index("ix_webhook_deliveries_endpoint_ordering", "endpoint_id", "ordering_key", "event_sequence"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # dlv_...
    event_sequence: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_events.sequence"))
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
