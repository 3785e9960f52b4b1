"""Open console sessions: a signed cookie is a session only while its row is here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


class ConsoleSessionRecord(Base):
    """One signed-in console session. Signing out deletes it, so a copied cookie dies with it; the
    session id alone is useless (the cookie that carries it is signed with the app's secret)."""

    __tablename__ = "console_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_keys.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Rows past this are deleted at the next sign-in; the cookie's own expiry is checked first anyway.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
