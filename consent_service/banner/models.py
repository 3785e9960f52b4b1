"""Every distinct banner ever served, by the hash of its content: proof of what a visitor saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class BannerVersion(Base):
    __tablename__ = "banner_versions"

    hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    property_id: Mapped[str] = mapped_column(String(40), ForeignKey("properties.id"))
    language: Mapped[str] = mapped_column(String(8))
    regime: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # texts, purposes, notice: exactly as served
    first_served_at: Mapped[datetime] = mapped_column(UTCDateTime)
