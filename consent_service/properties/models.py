"""Properties: the websites and apps that show the banner, each with its publishable key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class Property(Base):
    __tablename__ = "properties"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    publishable_key: Mapped[str] = mapped_column(String(64), unique=True)
    allowed_origins: Mapped[list[str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(8))
    purposes: Mapped[list[str]] = mapped_column(JSON)  # purpose keys shown in the banner, in order
    # language -> text key -> text, overriding the built-in texts
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    notice_version: Mapped[str] = mapped_column(String(64))
    notice_url: Mapped[str] = mapped_column(String(500))
    cookie_domain: Mapped[str | None] = mapped_column(String(255))
    # How long a choice holds before the banner asks again: an acceptance may last longer than a refusal.
    accept_lifetime_days: Mapped[int] = mapped_column(Integer)
    reject_lifetime_days: Mapped[int] = mapped_column(Integer)
    gpc_honoured: Mapped[bool] = mapped_column(Boolean)
    # vocabulary.Framework values the banner enables, in that enum's order; and the GVL vendor ids (TCF) it
    # discloses. Existing rows got [] from migration 0024.
    frameworks: Mapped[list[str]] = mapped_column(JSON)
    tcf_vendors: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
