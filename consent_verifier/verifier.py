"""ConsentVerifier: verify a consent token offline against the issuer's published keys."""

import re
import time
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature

from .claims import AnyVisitor, check_binding, check_claims, expected_subject
from .encoding import b64url_decode, signed_json_object
from .errors import SignatureInvalid, TokenInvalid, TokenMalformed
from .header import kid_from_header
from .jwks import Fetch, KeySet, fetch_url

JWKS_PATH = "/.well-known/jwks.json"
MAX_TOKEN_BYTES = 8 * 1024
REFETCH_INTERVAL_SECONDS = 30
# Tokens are signed by a handful of keys with one header each; the bound only matters when
# someone sends many distinct headers, and then clearing the cache is the cheap, safe answer.
MAX_CACHED_HEADERS = 64

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class ConsentVerifier:
    """Verifies the consent service's EdDSA tokens and answers "may I use this purpose?".

    Safe to share between threads: caches are replaced atomically and JWKS fetches are locked.
    """

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        *,
        cache_ttl: float = 300,
        leeway: float = 60,
        iat_skew: float = 5,
        clock: Callable[[], float] = time.time,
        fetch: Fetch | None = None,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
    ) -> None:
        # Callers without a type checker may pass anything; refuse it before building a URL from it.
        if not isinstance(issuer, str) or not issuer:  # type: ignore[redundant-expr]  # a guard for untyped callers
            raise ValueError("issuer must be a non-empty string")
        jwks_url = jwks_url or issuer.rstrip("/") + JWKS_PATH
        if not jwks_url.startswith(("https://", "http://")):
            raise ValueError("jwks_url must be an http(s) URL")
        self.issuer = issuer
        self.jwks_url = jwks_url
        self._leeway = leeway
        self._iat_skew = iat_skew
        self._clock = clock
        self._keys = KeySet(
            jwks_url,
            fetch=fetch or fetch_url,
            cache_ttl=cache_ttl,
            refetch_interval=refetch_interval,
        )
        self._header_kids: dict[str, str] = {}

    def verify(self, token: str | bytes, *, subject: str | AnyVisitor, property: str | None = None) -> dict[str, Any]:
        """Return the claims of a token about `subject` ("customer:c-1", or ANY_VISITOR with a
        property) issued to `property`'s banner (None: a token issued through the API), or raise
        a TokenInvalid subclass saying why not. A valid token of someone else is refused."""
        expected_subject(subject, property)
        token = _compact_jws(token)
        signing_input, _, signature_b64 = token.rpartition(".")
        header_b64, _, payload_b64 = signing_input.partition(".")
        kid = self._kid(header_b64)
        now = self._clock()
        key = self._keys.key_for(kid, now)
        try:
            key.verify(b64url_decode(signature_b64), signing_input.encode("ascii"))
        except InvalidSignature:
            raise SignatureInvalid("signature does not match the token") from None
        claims = signed_json_object(b64url_decode(payload_b64))
        check_claims(claims, issuer=self.issuer, now=now, leeway=self._leeway, iat_skew=self._iat_skew)
        check_binding(claims, subject=subject, property_key=property)
        return claims

    def allowed(
        self, token: str | bytes, purpose: str, *, subject: str | AnyVisitor, property: str | None = None
    ) -> bool:
        """True only if the token verifies, is `subject`'s (and `property`'s) and grants `purpose`;
        any invalid token, or another subject's, means False."""
        try:
            claims = self.verify(token, subject=subject, property=property)
        except TokenInvalid:
            return False
        return claims["purposes"].get(purpose) is True

    def _kid(self, header_b64: str) -> str:
        """The kid of a header segment, parsing and checking each distinct header only once."""
        kid = self._header_kids.get(header_b64)
        if kid is None:
            kid = kid_from_header(header_b64)
            if len(self._header_kids) >= MAX_CACHED_HEADERS:
                self._header_kids.clear()
            self._header_kids[header_b64] = kid
        return kid


def _compact_jws(token: object) -> str:
    """Return the token as text if it is small and has exactly three base64url segments."""
    if isinstance(token, bytes):
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenMalformed("token is too large")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise TokenMalformed("token is not ASCII") from None
    if not isinstance(token, str):
        raise TokenMalformed("token must be a string")
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenMalformed("token is too large")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise TokenMalformed("token is not a compact JWS of three base64url segments")
    return token
