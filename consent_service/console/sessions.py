"""Console sessions: an admin key exchanged for a short-lived signed cookie, and the CSRF token bound to it.

The cookie carries the key's id, the issue time and a random session id, signed with the app's
secret (fallbacks still verify). The session is also a row (console/models.py): every request reads
it joined to its key in one indexed read, so signing out (which deletes the row) ends the session for
every copy of the cookie, and revoking the key ends its sessions on the next request, on every
instance that shares the database. Expiry is counted on the app's clock, so tests move time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consent_service.apikeys import service as apikeys
from consent_service.apikeys.models import ApiKey
from consent_service.console.models import ConsoleSessionRecord
from consent_service.errors import Forbidden, ServiceError
from consent_service.vocabulary import Scope

COOKIE_NAME = "cs_admin"
COOKIE_PATH = "/admin"
SESSION_SALT = "consent-service.console.session"
CSRF_SALT = "consent-service.console.csrf"
# A cookie issued "in the future" by more than this is refused (clock skew between workers).
MAX_CLOCK_SKEW = timedelta(seconds=60)


class NoSession(ServiceError):
    """No usable session: a page redirects to sign-in, a form POST is refused."""

    status, code, message = 403, "session_required", "Sign in with an admin key."


class SessionExpired(NoSession):
    code, message = "session_expired", "Your session has expired; sign in again."


class SessionEnded(NoSession):
    code, message = "session_ended", "This session was signed out; sign in again."


class SessionRevoked(NoSession):
    code, message = "session_revoked", "The key of this session was revoked or lost the admin scope; sign in again."


class CsrfRejected(ServiceError):
    status, code, message = 403, "csrf_rejected", "This form was not sent from a console page of this session."


class NotAdmin(Forbidden):
    code, message = "not_admin", "This key lacks the admin scope."


@dataclass(frozen=True)
class ConsoleSession:
    key_id: int
    sid: str
    issued_at: datetime
    expires_at: datetime
    actor: str  # "name (sk_prefix)": who the audit log names; never the secret
    scopes: frozenset[str]


class SessionSigner:
    """Signs and verifies console cookies (CSRF tokens are csrf.FormTokens, under CSRF_SALT: neither passes as
    the other)."""

    def __init__(self, *, secret_key: str, fallbacks: tuple[str, ...]) -> None:
        keys = [*fallbacks, secret_key]  # itsdangerous signs with the last and accepts all
        self._cookies = URLSafeSerializer(keys, salt=SESSION_SALT)

    def cookie(self, *, key_id: int, sid: str, issued_at: datetime) -> str:
        return self._cookies.dumps({"k": key_id, "s": sid, "t": int(issued_at.timestamp())})

    def read_cookie(self, value: str) -> dict:
        try:
            claims = self._cookies.loads(value)
        except BadData:
            raise NoSession() from None
        if not (
            isinstance(claims, dict)
            and isinstance(claims.get("k"), int)
            and isinstance(claims.get("s"), str)
            and isinstance(claims.get("t"), int)
        ):
            raise NoSession()
        return claims


def _actor(principal: apikeys.Principal) -> str:
    return f"{principal.name} ({principal.prefix})"


def sign_in(
    *, session: Session, signer: SessionSigner, presented: str, ttl_seconds: int, now: datetime
) -> tuple[str, ConsoleSession]:
    """The cookie value and session for a valid admin key; Unauthorized or NotAdmin otherwise."""
    principal = apikeys.authenticate(session=session, presented=presented.strip())
    if Scope.ADMIN.value not in principal.scopes:
        raise NotAdmin()
    issued_at = now.replace(microsecond=0)
    sid = secrets.token_urlsafe(18)
    console_session = ConsoleSession(
        key_id=principal.key_id,
        sid=sid,
        issued_at=issued_at,
        expires_at=issued_at + timedelta(seconds=ttl_seconds),
        actor=_actor(principal),
        scopes=principal.scopes,
    )
    # Sessions past their time are of no use to anyone: each sign-in clears them away.
    session.execute(delete(ConsoleSessionRecord).where(ConsoleSessionRecord.expires_at <= now))
    session.add(
        ConsoleSessionRecord(
            sid=sid, key_id=principal.key_id, issued_at=issued_at, expires_at=console_session.expires_at
        )
    )
    return signer.cookie(key_id=principal.key_id, sid=sid, issued_at=issued_at), console_session


def sign_out(*, session: Session, console_session: ConsoleSession) -> None:
    """End the session on the server: its cookie, wherever a copy of it is, is no session any more."""
    session.execute(delete(ConsoleSessionRecord).where(ConsoleSessionRecord.sid == console_session.sid))


def resume(
    *, session: Session, signer: SessionSigner, cookie: str | None, ttl_seconds: int, now: datetime
) -> ConsoleSession:
    """The session a request's cookie proves, re-checking it and its key on the server: NoSession,
    SessionExpired, SessionEnded (signed out) or SessionRevoked."""
    if not cookie:
        raise NoSession()
    claims = signer.read_cookie(cookie)
    issued_at = datetime.fromtimestamp(claims["t"], tz=UTC)
    expires_at = issued_at + timedelta(seconds=ttl_seconds)
    if now >= expires_at or issued_at > now + MAX_CLOCK_SKEW:
        raise SessionExpired()
    key = session.execute(
        select(ApiKey.name, ApiKey.scopes, ApiKey.prefix, ApiKey.revoked_at)
        .join(ConsoleSessionRecord, ConsoleSessionRecord.key_id == ApiKey.id)
        .where(ConsoleSessionRecord.sid == claims["s"], ApiKey.id == claims["k"])
    ).one_or_none()
    if key is None:
        raise SessionEnded()
    principal = apikeys.Principal(key_id=claims["k"], name=key.name, scopes=frozenset(key.scopes), prefix=key.prefix)
    if key.revoked_at is not None or Scope.ADMIN.value not in principal.scopes:
        raise SessionRevoked()
    return ConsoleSession(
        key_id=principal.key_id,
        sid=claims["s"],
        issued_at=issued_at,
        expires_at=expires_at,
        actor=_actor(principal),
        scopes=principal.scopes,
    )
