"""Cross-site request forgery: one mechanism for every HTML form (the console's, the preference pages').

A form POST is accepted only when the browser does not say it came from another site (Fetch Metadata's
Sec-Fetch-Site; where the page asks for it, an Origin header naming another origin), and it carries a token
we signed for that kind of form (its own salt), bound to whom the page was shown (the console session, the
customer of the signed link), at most a day old on the app's clock, signed with the app's secret (fallbacks
still verify, so rotating it breaks no open page).

Why not Flask-WTF's CSRFProtect: it binds its token to Flask's session cookie, and neither form has one.
The preference pages are cookieless on purpose (the signed link is the credential), and the console's
session is its own cookie checked against the database on every request; a token bound to what each page
already proves is the same protection without a second session.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadData

from consent_service.clock import Clock
from consent_service.config import Settings
from consent_service.errors import ServiceError
from consent_service.signing import timed_serializer

# A form must be sent within a day of showing the page; a stale tab just reloads.
FORM_MAX_AGE_SECONDS = 86400
SAME_SITE = ("same-origin", "none")  # "none": the person typed the URL or followed a bookmark


class FormTokens:
    """Tokens of one kind of form; `rejected` is the error that kind of form answers a forged one with."""

    def __init__(self, *, settings: Settings, salt: str, clock: Clock, rejected: type[ServiceError]) -> None:
        self._serializer = timed_serializer(
            secret_key=settings.secret_key, fallbacks=settings.secret_key_fallbacks, salt=salt, clock=clock
        )
        self._rejected = rejected

    def issue(self, claims: Mapping[str, Any]) -> str:
        """A token carrying `claims`: whom the page was shown to, and what it showed."""
        token: str = self._serializer.dumps(dict(claims))
        return token

    def verify(self, token: str | None, *, bound: Mapping[str, str]) -> dict[str, Any]:
        """The claims of a token of ours, recent, whose `bound` claims are these; the `rejected` error otherwise."""
        if not token:
            raise self._rejected()
        try:
            claims = self._serializer.loads(token, max_age=FORM_MAX_AGE_SECONDS)
        except BadData:
            raise self._rejected() from None
        if not isinstance(claims, dict) or not all(
            isinstance(claims.get(name), str) and hmac.compare_digest(claims[name], value)
            for name, value in bound.items()
        ):
            raise self._rejected()
        return claims


def require_same_site(
    *, fetch_site: str | None, origin: str | None, own_origin: str | None, rejected: type[ServiceError]
) -> None:
    """Refuse a form the browser says another site sent (its Sec-Fetch-Site and Origin headers, when it sends
    them). `own_origin`: also refuse an Origin naming another origin (the console's; the preference pages
    leave it out, as a proxy in front may change the scheme or host the service sees)."""
    if (fetch_site is not None and fetch_site not in SAME_SITE) or (
        own_origin is not None and origin is not None and origin != own_origin
    ):
        raise rejected()
