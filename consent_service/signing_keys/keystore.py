"""Ed25519 signing keys: create, rotate, publish, and keep the active one in memory briefly."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.signing_keys.models import SigningKey

RAW = serialization.Encoding.Raw


class KeyDecryptionFailed(RuntimeError):
    """A stored signing key cannot be decrypted with any configured KEY_ENCRYPTION_KEYS."""


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: Ed25519PrivateKey


@dataclass(frozen=True)
class PublishedKey:
    """The public half of a signing key and when it was retired: what verifying a token needs,
    safe to keep between requests (the generations cache holds these)."""

    kid: str
    public_key: Ed25519PublicKey
    retired_at: datetime | None


def published_keys(*, session: Session) -> dict[str, PublishedKey]:
    """Every signing key's public half by kid, retired ones too (their tokens may still be valid)."""
    return {
        row.kid: _published(row)
        for row in session.execute(select(SigningKey.kid, SigningKey.public_key, SigningKey.retired_at))
    }


def _published(key: SigningKey | Row) -> PublishedKey:
    raw = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
    return PublishedKey(kid=key.kid, public_key=Ed25519PublicKey.from_public_bytes(raw), retired_at=key.retired_at)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class KeyStore:
    """One per app. Several instances share the key set through the database."""

    def __init__(self, *, encryption_keys: tuple[str, ...], cache_seconds: int, max_token_ttl: int) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys])
        self._cache_seconds = cache_seconds
        self._max_token_ttl = timedelta(seconds=max_token_ttl)
        self._lock = threading.Lock()
        self._active: ActiveKey | None = None
        self._active_until = 0.0

    def create(self, *, session: Session, now: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        raw_private = private_key.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        key = SigningKey(
            kid=new_id("key"),
            algorithm="EdDSA",
            public_key=b64url(private_key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)),
            private_key_encrypted=self._fernet.encrypt(raw_private).decode(),
            created_at=now,
        )
        session.add(key)
        session.flush()
        return key

    def rotate(self, *, session: Session, now: datetime) -> SigningKey:
        """A new key signs from now on; the old ones stay published until their tokens expire."""
        for key in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
            key.retired_at = now
        new_key = self.create(session=session, now=now)
        self.forget()
        return new_key

    def active(self, *, session: Session, now: datetime) -> ActiveKey:
        """The key that signs now, created on first use; cached so rotation shows up within seconds."""
        with self._lock:
            if self._active is not None and time.monotonic() < self._active_until:
                return self._active
        key = session.scalars(
            select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc()).limit(1)
        ).first()
        if key is None:
            key = self.create(session=session, now=now)
        active = ActiveKey(kid=key.kid, private_key=self._decrypt(key))
        with self._lock:
            self._active, self._active_until = active, time.monotonic() + self._cache_seconds
        return active

    def forget(self) -> None:
        with self._lock:
            self._active, self._active_until = None, 0.0

    def published(self, *, session: Session, now: datetime) -> list[SigningKey]:
        """Keys whose tokens may still be valid: active ones, and retired ones younger than a token."""
        return list(
            session.scalars(
                select(SigningKey)
                .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now - self._max_token_ttl))
                .order_by(SigningKey.created_at.desc())
            )
        )

    def public_key(
        self, *, session: Session, kid: str, now: datetime, published: Mapping[str, PublishedKey] | None = None
    ) -> Ed25519PublicKey | None:
        """The public half of a still-published key, for verifying our own tokens: looked up in
        `published` (a snapshot's, which the caller confirms) when given, else read now."""
        if published is not None:
            key = published.get(kid)
        else:
            row = session.get(SigningKey, kid)
            key = _published(row) if row is not None else None
        if key is None or (key.retired_at is not None and key.retired_at <= now - self._max_token_ttl):
            return None
        return key.public_key

    def genuine_public_keys(self, *, session: Session) -> dict[str, Ed25519PublicKey]:
        """Every stored key, retired ones too, whose private half decrypts with KEY_ENCRYPTION_KEYS and
        matches its public half: a row written by someone who holds only the database is left out."""
        genuine = {}
        for key in session.scalars(select(SigningKey)):
            try:
                private = self._decrypt(key)
            except KeyDecryptionFailed:
                continue
            public = _published(key).public_key
            if private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw) == public.public_bytes(
                RAW, serialization.PublicFormat.Raw
            ):
                genuine[key.kid] = public
        return genuine

    def _decrypt(self, key: SigningKey) -> Ed25519PrivateKey:
        try:
            raw = self._fernet.decrypt(key.private_key_encrypted.encode())
        except InvalidToken:
            raise KeyDecryptionFailed(
                f"signing key {key.kid} cannot be decrypted with KEY_ENCRYPTION_KEYS; "
                "every instance must share the same keys"
            ) from None
        return Ed25519PrivateKey.from_private_bytes(raw)


def jwk(key: SigningKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "use": "sig", "alg": "EdDSA"}
