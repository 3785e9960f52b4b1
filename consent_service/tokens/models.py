"""Tokens issued to subjects, listed by jti in their exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


class IssuedToken(Base):
    """A token signed for a subject, by jti, so an export can list them; the token itself is not kept."""

    __tablename__ = "issued_tokens"

    # The subject first: its tokens are read and removed by subject, and a sharded cluster keys by it.
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_for: Mapped[str] = mapped_column(String(16))  # "service" (the API) or "banner" (the visitor's cookie)
    property_key: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
