"""A privacy request, its append-only steps (who did what, when) and the operator's systems that report back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base

# The sizes of what a request keeps, one place for the columns, the API's schema, the form and the flow.
MAX_IDENTIFIER = 255
MAX_CONTACT = 320
MAX_CORRECTION = 2000
MAX_AGENT_NAME = 200
MAX_SYSTEM_DETAIL = 2000


class PrivacyRequest(Base):
    """One request of a person (or their agent), from receipt to its outcome. A closed deletion keeps only
    pseudonymous data: subject_id is the pseudonym, contact is NULL, details hold no identifier."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_status_due_at", "status", "due_at"),)  # the queue

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # pr_...
    property_key: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))  # vocabulary.RequestType
    status: Mapped[str] = mapped_column(String(16))  # vocabulary.RequestStatus
    verification: Mapped[str] = mapped_column(String(16))  # vocabulary.Verification
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(MAX_IDENTIFIER))
    contact: Mapped[str | None] = mapped_column(String(MAX_CONTACT))  # where the person is answered; NULL once closed
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(6))
    law: Mapped[str] = mapped_column(String(32))  # a key of the rules' privacy_requests.laws
    channel: Mapped[str] = mapped_column(String(8))  # web | api
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    agent: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"name", "email", "declaration": true}
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(1000))  # the refusal's reason, or what was done
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def subject(self) -> dict[str, str]:
        """The subject as the API and the webhooks name it."""
        return {"kind": self.subject_kind, "id": self.subject_id}


class PrivacyRequestStep(Base):
    """One thing that happened to a request: never updated or deleted, and never naming an erased identifier."""

    __tablename__ = "privacy_request_steps"
    __table_args__ = (Index("ix_privacy_request_steps_request_id_id", "request_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(40), ForeignKey("privacy_requests.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # person, agent, service, operator:<key or console user>, system:<name>
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class PrivacyRequestSystem(Base):
    """One of the operator's other systems (PRIVACY_REQUEST_SYSTEMS at verification) and what it reported."""

    __tablename__ = "privacy_request_systems"

    request_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("privacy_requests.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))  # vocabulary.SystemStatus
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(String(MAX_SYSTEM_DETAIL))
