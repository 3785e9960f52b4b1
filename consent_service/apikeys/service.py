"""Secret API keys: mint (shown once), authenticate, list and revoke."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.apikeys.models import ApiKey
from consent_service.errors import NotFound, Unauthorized, ValidationFailed
from consent_service.vocabulary import Scope

ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX = "sk_"
KEY_PATTERN = re.compile(r"^(sk_[a-z0-9]{8})_([A-Za-z0-9]{32})([A-Za-z0-9]{6})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and scopes (no secret)."""

    key_id: int
    name: str
    scopes: frozenset[str]


def _checksum(body: str) -> str:
    # A checksum lets typos and truncated keys be told apart from real ones without a lookup.
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(6):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


def _hash(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode()).hexdigest()


def create_key(*, session: Session, name: str, scopes: list[str], now: datetime) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plain text, which is never stored nor shown again."""
    unknown = sorted(set(scopes) - {scope.value for scope in Scope})
    if unknown or not scopes:
        known = ", ".join(scope.value for scope in Scope)
        raise ValidationFailed(f"Scopes must be some of: {known}.", errors={"scope": unknown or ["Required."]})
    prefix = "sk_" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    secret = "".join(secrets.choice(ALPHABET) for _ in range(32))
    plain = f"{prefix}_{secret}{_checksum(prefix + secret)}"
    key = ApiKey(name=name, prefix=prefix, secret_hash=_hash(plain), scopes=sorted(set(scopes)), created_at=now)
    session.add(key)
    session.flush()
    return key, plain


def authenticate(*, session: Session, presented: str) -> Principal:
    """The principal behind a presented key; one generic 401 for every kind of failure."""
    match = KEY_PATTERN.match(presented)
    if match is None or not hmac.compare_digest(_checksum(match.group(1) + match.group(2)), match.group(3)):
        raise Unauthorized()
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == match.group(1))).one_or_none()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(presented)):
        raise Unauthorized()
    return Principal(key_id=key.id, name=key.name, scopes=frozenset(key.scopes))


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(*, session: Session, prefix: str, now: datetime) -> ApiKey:
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if key is None:
        raise NotFound(f"No key with prefix {prefix!r}.")
    if key.revoked_at is None:
        key.revoked_at = now
    return key
