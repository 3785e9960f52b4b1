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
KEY_PATTERN = re.compile(r"(sk_[a-z0-9]{8})_([A-Za-z0-9]{32})([A-Za-z0-9]{6})")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and scopes (no secret)."""

    key_id: int
    name: str
    scopes: frozenset[str]
    prefix: str = ""


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
    prefix = _prefix_of(presented)
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    return _principal(_entry(key) if key is not None else None, presented)


@dataclass(frozen=True)
class KeyEntry:
    """What authenticating a key needs, without the ORM: held in memory by the generations cache."""

    key_id: int
    name: str
    prefix: str
    secret_hash: str
    scopes: frozenset[str]
    revoked: bool


def key_entries(*, session: Session) -> dict[str, KeyEntry]:
    """Every key by prefix (revoked ones too, so they are refused without another read)."""
    return {key.prefix: _entry(key) for key in session.scalars(select(ApiKey))}


def principal_of(entries: dict[str, KeyEntry], presented: str) -> Principal:
    """The principal behind a presented key among `entries`; one generic 401 for every kind of failure."""
    return _principal(entries.get(_prefix_of(presented)), presented)


def _principal(entry: KeyEntry | None, presented: str) -> Principal:
    if entry is None or entry.revoked or not hmac.compare_digest(entry.secret_hash, _hash(presented)):
        raise Unauthorized()
    return Principal(key_id=entry.key_id, name=entry.name, scopes=entry.scopes, prefix=entry.prefix)


def _prefix_of(presented: str) -> str:
    match = KEY_PATTERN.fullmatch(presented)
    if match is None or not hmac.compare_digest(_checksum(match.group(1) + match.group(2)), match.group(3)):
        raise Unauthorized()
    return match.group(1)


def _entry(key: ApiKey) -> KeyEntry:
    return KeyEntry(
        key_id=key.id,
        name=key.name,
        prefix=key.prefix,
        secret_hash=key.secret_hash,
        scopes=frozenset(key.scopes),
        revoked=key.revoked_at is not None,
    )


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(*, session: Session, prefix: str, now: datetime) -> ApiKey:
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if key is None:
        raise NotFound(f"No key with prefix {prefix!r}.")
    if key.revoked_at is None:
        key.revoked_at = now
    return key
