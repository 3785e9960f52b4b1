"""Signed, expiring links (itsdangerous): one salt per kind of link, retired secrets still accepted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from consent_service.clock import Clock
from consent_service.config import Settings
from consent_service.errors import ServiceError
from consent_service.signing import timed_serializer


class LinkKind(StrEnum):
    """Each kind is its own salt: a token made for one can never be used as another."""

    PREFERENCES = "consent-service.preferences.page"
    ONE_CLICK = "consent-service.preferences.one-click"
    DOUBLE_OPT_IN = "consent-service.preferences.double-opt-in"
    # Privacy requests (claims {"r": request id, "l": language}): proving identity, then following the request.
    PRIVACY_REQUEST_VERIFY = "consent-service.privacy-requests.verify"
    PRIVACY_REQUEST_STATUS = "consent-service.privacy-requests.status"


class LinkError(ServiceError):
    """A link that cannot be acted on; nothing it asks for may happen."""


class LinkInvalid(LinkError):
    """Tampered, truncated, signed with a secret no longer accepted, or never ours."""

    status, code, message = 404, "link_invalid", "This link is not valid."


class LinkExpired(LinkError):
    status, code, message = 410, "link_expired", "This link has expired."

    def __init__(self, message: str | None = None, *, claims: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        # Authentic but too old: what it says (its language) may still shape the answer, never an action.
        self.claims = dict(claims or {})


@dataclass(frozen=True)
class SignedLink:
    token: str
    expires_at: datetime


class LinkSigner:
    """Signs with the current secret; verifies with it and every fallback, so rotation breaks no link."""

    def __init__(
        self, *, secret_key: str, fallbacks: tuple[str, ...], max_ages: Mapping[LinkKind, int], clock: Clock
    ) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign links")
        self._clock = clock
        self._max_ages = dict(max_ages)
        self._serializers = {
            kind: timed_serializer(secret_key=secret_key, fallbacks=fallbacks, salt=kind.value, clock=clock)
            for kind in LinkKind
        }

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock) -> LinkSigner:
        return cls(
            secret_key=settings.secret_key,
            fallbacks=settings.secret_key_fallbacks,
            clock=clock,
            max_ages={
                LinkKind.PREFERENCES: settings.preference_link_max_age_seconds,
                LinkKind.ONE_CLICK: settings.one_click_link_max_age_seconds,
                LinkKind.DOUBLE_OPT_IN: settings.double_opt_in_max_age_seconds,
                LinkKind.PRIVACY_REQUEST_VERIFY: settings.privacy_request_link_max_age_seconds,
                LinkKind.PRIVACY_REQUEST_STATUS: settings.privacy_request_status_link_max_age_seconds,
            },
        )

    def sign(self, kind: LinkKind, claims: Mapping[str, Any]) -> SignedLink:
        token = self._serializers[kind].dumps(dict(claims))
        # The timestamp is signed in whole seconds; the expiry is counted from that second.
        signed_at = datetime.fromtimestamp(int(self._clock().timestamp()), tz=self._clock().tzinfo)
        return SignedLink(token=token, expires_at=signed_at + timedelta(seconds=self._max_ages[kind]))

    def verify(self, kind: LinkKind, token: str) -> dict[str, Any]:
        """The claims of an authentic, unexpired token of this kind; LinkInvalid or LinkExpired otherwise."""
        return self.verify_issued(kind, token)[0]

    def verify_issued(self, kind: LinkKind, token: str) -> tuple[dict[str, Any], datetime]:
        """`verify`, with the signed time the token was issued (whole seconds, UTC)."""
        serializer = self._serializers[kind]
        if not _canonical(token):
            raise LinkInvalid()
        try:
            claims, issued_at = serializer.loads(token, max_age=self._max_ages[kind], return_timestamp=True)
        except SignatureExpired as expired:
            raise LinkExpired(claims=self._expired_claims(serializer, expired)) from None
        except BadData:
            raise LinkInvalid() from None
        if not isinstance(claims, dict):
            raise LinkInvalid()
        return claims, issued_at

    @staticmethod
    def _expired_claims(serializer: URLSafeTimedSerializer, expired: SignatureExpired) -> dict[str, Any]:
        try:
            claims = serializer.load_payload(expired.payload) if expired.payload is not None else {}
        except BadData:
            return {}
        return claims if isinstance(claims, dict) else {}


def _canonical(token: str) -> bool:
    """Base64 lets a last character vary without changing the bytes; we accept one spelling only,
    so a link with any character changed is refused, not just most of them."""
    try:
        return all(base64_encode(base64_decode(part)).decode() == part for part in token.split(".") if part)
    except BadData:
        return False
