"""The consent ledger (append-only events), the materialized state, and idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


class ConsentEvent(Base):
    """One decision, as given. Never updated or deleted (database triggers enforce it).

    The keys hold `subject_id`, the column a sharded cluster distributes by (docs/scaling.md), and
    `recorded_at`, the column PostgreSQL partitions the table by (migration 0027): a key of a
    partitioned table must hold its partition column."""

    __tablename__ = "consent_events"
    __table_args__ = (
        # One event per subject revision. The key holds recorded_at because PostgreSQL's partitions
        # cannot check a key without it; what keeps a history from forking is the subject's revision,
        # which every write moves from the revision it read (stores/), and the chain shows any fork.
        UniqueConstraint("subject_id", "revision", "recorded_at"),
        Index("ix_consent_events_subject_purpose_revision", "subject_id", "purpose", "revision"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(64), ForeignKey("purposes.key"))
    decision: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(64))
    regime: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    # The ISO 3166-2 subdivision the request named (US-CA), if any.
    region: Mapped[str | None] = mapped_column(String(6))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    age: Mapped[int | None] = mapped_column(Integer)
    property_key: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    # The hash of the exact banner the choice was made on (banner_versions), when made on one.
    banner_version: Mapped[str | None] = mapped_column(String(80))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(255))
    # When the person was given the notice `notice_version` (the recording announcement a caller heard):
    # what an implied grant ("by staying on the call") rests on.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Minimized evidence only: a caller's reference, a truncated IP, a user-agent family.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    # The tamper-evident chain (consents/chain.py): an HMAC of the personal fields, the previous
    # event's hash (or the genesis hash), and this event's hash over both.
    personal_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ConsentState(Base):
    """The current decision per subject and purpose: a fold of the ledger, kept for fast reads."""

    __tablename__ = "consent_states"

    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), ForeignKey("purposes.key"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(64))
    regime: Mapped[str] = mapped_column(String(16))
    property_key: Mapped[str | None] = mapped_column(String(64))
    actor_type: Mapped[str | None] = mapped_column(String(16))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # cross_border_transfer only: destinations currently consented to ("*" for all).
    destinations: Mapped[list[str] | None] = mapped_column(JSON)
    # The event folded last: its whole key, the month included. No foreign key holds it (migration 0030: one
    # into the partitioned ledger made every month's DETACH scan all states); `flask ledger verify` checks it.
    event_id: Mapped[str] = mapped_column(String(40))
    event_recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed on every retry."""

    __tablename__ = "idempotency_records"

    api_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_keys.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerMaintenance(Base):
    """On SQLite, a row here (written and removed inside one transaction) lets erasure and retention
    change ledger rows; SQLite has no transaction-local setting for the triggers to read."""

    __tablename__ = "ledger_maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class RetiredChain(Base):
    """The head of a chain retention removed as a whole, so a checkpoint naming it still checks out;
    `seal` (ledger/seals.py) is the service's signature over it, so a row written by hand shows."""

    __tablename__ = "retired_chains"

    subject_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal: Mapped[str | None] = mapped_column(Text)
