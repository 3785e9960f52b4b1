"""Ed25519 signing keys; private halves encrypted at rest with the operator's key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import BigId, UTCDateTime
from consent_service.extensions import Base


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="EdDSA")
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url
    private_key_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token of the raw private bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when a newer key takes over signing; the public half stays published for a while after.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IssuedToken(Base):
    """A token signed for a subject, by jti, so an export can list them; the token itself is not kept."""

    __tablename__ = "issued_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), index=True)
    issued_for: Mapped[str] = mapped_column(String(16))  # "service" (the API) or "banner" (the visitor's cookie)
    property_key: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
