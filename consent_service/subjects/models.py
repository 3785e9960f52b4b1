"""Subjects: whose consent. The only table that maps a person's identifier to our internal key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import db


class Subject(db.Model):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    # Bumped once per consent event; the materialized state carries the revision it reflects.
    revision: Mapped[int] = mapped_column(default=0)
    # The last country given for the subject: its regime and transfer region when a check names none.
    country: Mapped[str | None] = mapped_column(String(2))
    # Until when the subject counts as a minor, from the age given with an event (the latest it can be).
    minor_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
