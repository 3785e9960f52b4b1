"""Rate limits: the public banner per client IP and per property, failed authentication per IP, and the public
privacy request form per IP and per identifier."""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from werkzeug.sansio.response import Response as SansIOResponse

from consent_service.config import Settings
from consent_service.errors import RateLimited, error_body

EXTENSION_NAME = "consent_service.limiter"
AUTH_FAILURES_EXTENSION = "consent_service.auth_failures"
AUTH_FAILURE_SCOPE = "auth-failure"
PRIVACY_REQUESTS_EXTENSION = "consent_service.privacy_request_limits"
RATE_LIMIT_KEY_LABEL = b"consent-service.privacy-requests.rate-limit:"


def client_ip() -> str:
    """The peer address; X-Forwarded-For counts only through ProxyFix, i.e. when TRUSTED_PROXY_COUNT says so."""
    return request.remote_addr or "unknown"


def _property_key() -> str:
    return "property:" + (request.view_args or {}).get("property_key", "")


def _seconds_until(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def _as_response(error: RateLimited) -> Response:
    response = jsonify(error_body(error.status, error.code, error.message))
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _breached(limit: RequestLimit) -> Response:
    retry_after = _seconds_until(limit.reset_at)
    return _as_response(RateLimited(retry_after, f"Too many requests ({limit.limit}); retry in {retry_after} s."))


def init_app(app: Flask, settings: Settings, *, banner: Blueprint) -> Limiter:
    """One limiter per app (flask-limiter keeps its storage on the instance, and tests build many apps)."""
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=False,
        # Handed to the storage itself, so the counts spent outside flask-limiter's decorators (Allowance) get it too.
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix} if (prefix := settings.ratelimit_key_prefix) else {},
    )
    limiter = Limiter(key_func=client_ip, on_breach=_breached, strategy="moving-window")
    limiter.shared_limit(settings.banner_rate_limit_per_ip, scope="banner-ip", key_func=client_ip)(banner)
    limiter.shared_limit(settings.banner_rate_limit_per_property, scope="banner-property", key_func=_property_key)(
        banner
    )
    limiter.init_app(app)
    app.extensions[EXTENSION_NAME] = limiter
    # Built once: every authenticated request asks it, and parsing the limit is not free.
    app.extensions[AUTH_FAILURES_EXTENSION] = AuthFailures(limiter, settings.auth_failure_rate_limit)
    app.extensions[PRIVACY_REQUESTS_EXTENSION] = PrivacyRequestLimits(limiter, settings)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> SansIOResponse:
        # The flask-smorest handler for every HTTPException would drop the body and Retry-After built above.
        return error.response or _as_response(RateLimited(60))

    return limiter


class Allowance:
    """A number of hits per key and window, spent only where the code says so (flask-limiter's decorators count
    every request of a route before its view runs, and cannot count by what the view reads)."""

    def __init__(self, limiter: Limiter, limit: str, *, scope: str, message: str) -> None:
        self._limiter = limiter
        self._limits = parse_many(limit)
        self._scope = scope
        self._message = message

    def spend(self, key: str) -> None:
        """Count one hit for `key`; RateLimited once its allowance is used up."""
        if not self._limiter.enabled:
            return
        for item in self._limits:
            # `hit` counts and answers in one call; over the limit it counts nothing and says False.
            if not self._limiter.limiter.hit(item, self._scope, key):
                reset_at, _ = self._limiter.limiter.get_window_stats(item, self._scope, key)
                raise RateLimited(_seconds_until(reset_at), self._message)


class AuthFailures:
    """Counts failed authentications per client IP, so keys cannot be guessed at speed.

    Only failures are counted and only failures are refused: a valid key is served whatever others
    sent from its address (a shared NAT or proxy), and costs no storage round trip. Flask-Limiter's
    `deduct_when` would not do: it tests the limit before the view, so a valid key would get 429 too."""

    def __init__(self, limiter: Limiter, limit: str) -> None:
        self._allowance = Allowance(
            limiter, limit, scope=AUTH_FAILURE_SCOPE, message="Too many failed authentications; retry later."
        )

    def record(self) -> None:
        """Count one failure from this address; RateLimited once its allowance is used up."""
        self._allowance.spend(client_ip())


class PrivacyRequestLimits:
    """Requests sent from the public privacy request form, per client IP and per identifier.

    The identifier (an email address, a customer id) is counted under an HMAC of it keyed with the app's secret:
    the limiter's storage (Redis in production) never holds it, and its keys cannot be reversed by hashing
    guessed addresses."""

    def __init__(self, limiter: Limiter, settings: Settings) -> None:
        self._per_ip = Allowance(
            limiter,
            settings.privacy_request_rate_limit_per_ip,
            scope="privacy-request-ip",
            message="Too many requests from this address.",
        )
        self._per_identifier = Allowance(
            limiter,
            settings.privacy_request_rate_limit_per_identifier,
            scope="privacy-request-identifier",
            message="Too many requests for this identifier.",
        )
        # A key of its own, derived from the secret, so these hashes match no other HMAC the service makes.
        self._key = hashlib.sha256(RATE_LIMIT_KEY_LABEL + settings.secret_key.encode()).digest()

    def spend_ip(self) -> None:
        self._per_ip.spend(client_ip())

    def spend_identifier(self, identifier: str) -> None:
        # Counted case-blind: spellings that differ only in case share one allowance (Ada@ and ada@ are one inbox
        # to an abuser), while the request itself keeps the identifier as the API spells subjects.
        self._per_identifier.spend(hmac.new(self._key, identifier.casefold().encode(), hashlib.sha256).hexdigest())


def auth_failures() -> AuthFailures:
    return current_app.extensions[AUTH_FAILURES_EXTENSION]


def privacy_request_limits() -> PrivacyRequestLimits:
    return current_app.extensions[PRIVACY_REQUESTS_EXTENSION]
