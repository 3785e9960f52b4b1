"""The purpose catalogue: what a subject can consent to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class Purpose(Base):
    __tablename__ = "purposes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # cookie | communication | processing: where the purpose shows up (banner, emails, back office)
    category: Mapped[str] = mapped_column(String(32))
    legal_basis: Mapped[str] = mapped_column(String(32))
    refusable: Mapped[bool]
    built_in: Mapped[bool] = mapped_column(default=False)
    # regime -> decision taken when the subject has said nothing, e.g. {"opt_in": "denied"}
    defaults: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
