"""Published notice versions: what people consented under, and which changes were material."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("property_key", "kind", "version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The property it belongs to; None for a notice that covers every property and channel.
    property_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # privacy | cookie | recording
    version: Mapped[str] = mapped_column(String(64))
    material: Mapped[bool]
    purposes: Mapped[list[str]] = mapped_column(JSON)  # the purposes whose consents a material change affects
    url: Mapped[str] = mapped_column(String(500))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
