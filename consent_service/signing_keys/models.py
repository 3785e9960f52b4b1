"""Ed25519 signing keys; private halves encrypted at rest with the operator's key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
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
