"""Subjects: whose consent. The only table that maps a person's identifier to our internal key."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


def new_evidence_key() -> str:
    return secrets.token_hex(32)


class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    # Bumped once per consent event; the materialized state carries the revision it reflects.
    revision: Mapped[int] = mapped_column(default=0)
    # The hash of the event at `revision`, the head its next event links to (NULL while it has none): every
    # write sets it with the revision, so a write reads the head here, never from the ledger (migration 0028).
    head_hash: Mapped[str | None] = mapped_column(String(64))
    # The last country given for the subject: its regime and transfer region when a check names none.
    country: Mapped[str | None] = mapped_column(String(2))
    # Before migration 0018: until when the subject counted as a minor in the country the age was stated
    # in. No longer written nor read: minority is now judged per check from `born_by`.
    minor_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest the subject can have been born: the age last stated with an event, taken back from when
    # it was stated (subjects/ages.py). A check's age is the full years since, a lower bound.
    born_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keys the HMAC of its events' personal fields (consents/chain.py); erasure deletes it.
    evidence_key: Mapped[str | None] = mapped_column(String(64), default=new_evidence_key)
    # Processing restricted at the subject's request (GDPR Art. 18), since when.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when erasure replaced external_id by a pseudonym; the events stay as pseudonymous proof.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubjectLink(Base):
    """A visitor that logged in as a customer. A visitor belongs to at most one customer."""

    __tablename__ = "subject_links"

    visitor_subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), primary_key=True)
    customer_subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Suppression(Base):
    """An erased subject, by keyed pseudonym only: kept out of communications, and of every purpose it
    had refused, if its id comes back."""

    __tablename__ = "suppressions"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The receipt of the erasure, replayed when the same subject is erased again.
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The purpose keys the person had refused (opted out of, objected to, withdrawn) when erased: no
    # personal data, only keys. NULL on entries older than the column: communication purposes only.
    refused_purposes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
