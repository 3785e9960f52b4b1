"""The issuer's published Ed25519 keys: fetch the JWKS, keep the usable keys, refresh sparingly."""

import http.client
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .encoding import b64url_decode_checked, strict_json_object
from .errors import JWKSUnavailable, TokenMalformed, UnknownKey

Fetch = Callable[[str], bytes]

FETCH_TIMEOUT_SECONDS = 5.0
MAX_JWKS_BYTES = 256 * 1024
ED25519_KEY_BYTES = 32

# What a fetch may raise when the network or the server fails: OSError covers URLError,
# HTTPError and timeouts; ValueError a malformed URL or oversized body; HTTPException a broken
# HTTP exchange. An injected fetch should raise one of these too.
FETCH_ERRORS = (OSError, ValueError, http.client.HTTPException)


def fetch_url(url: str) -> bytes:
    """GET a URL with a short timeout and a size cap; the default `fetch` of the verifier."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body: bytes = response.read(MAX_JWKS_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the response's socket open until closed
        raise
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"JWKS response is larger than {MAX_JWKS_BYTES} bytes")
    return body


def parse_jwks(body: bytes) -> dict[str, Ed25519PublicKey]:
    """Map kid -> public key for every usable key of a JWKS document; unusable keys are skipped."""
    try:
        document = strict_json_object(body)
    except TokenMalformed as exc:
        raise JWKSUnavailable("JWKS is not a JSON object") from exc
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JWKSUnavailable('JWKS has no "keys" list')
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in entries:
        usable = usable_key(entry)
        # The first key wins a duplicated kid, so a later entry cannot shadow it.
        if usable is not None and usable[0] not in keys:
            keys[usable[0]] = usable[1]
    return keys


def usable_key(jwk: object) -> tuple[str, Ed25519PublicKey] | None:
    """Return (kid, key) for an Ed25519 signature-verification JWK, or None to skip it."""
    if not isinstance(jwk, dict):
        return None
    kid = jwk.get("kid")
    if (
        jwk.get("kty") != "OKP"
        or jwk.get("crv") != "Ed25519"
        or jwk.get("use", "sig") != "sig"
        or jwk.get("alg", "EdDSA") != "EdDSA"
        or not isinstance(kid, str)
        or not kid
        # A published private key is compromised; trusting it would accept forgeries.
        or "d" in jwk
    ):
        return None
    try:
        raw = b64url_decode_checked(jwk.get("x"))
    except TokenMalformed:
        return None
    if len(raw) != ED25519_KEY_BYTES:
        return None
    return kid, Ed25519PublicKey.from_public_bytes(raw)


def _within(now: float, since: float | None, seconds: float) -> bool:
    """True if `since` is set and at most `seconds` ago (a clock gone backwards counts as not)."""
    return since is not None and 0 <= now - since < seconds


class KeySet:
    """The cached keys of one JWKS URL: fresh for `cache_ttl`, refetched sparingly for new kids.

    A token with an unknown kid (a key rotated in) triggers one refetch; after that refetch, or
    after any failed fetch, no further one happens for `refetch_interval` seconds, so a flood of
    random kids cannot hammer the issuer. Reads take no lock: the (keys, fetched_at) pair is
    replaced as one tuple. Fetches happen under a lock, so concurrent misses cause one fetch.
    Once the cache is stale and the JWKS cannot be fetched, verification fails closed
    (JWKSUnavailable), which for consent means "not allowed".
    """

    def __init__(
        self,
        url: str,
        *,
        fetch: Fetch,
        cache_ttl: float,
        refetch_interval: float,
    ) -> None:
        self._url = url
        self._fetch = fetch
        self._cache_ttl = cache_ttl
        self._refetch_interval = refetch_interval
        self._lock = threading.Lock()
        self._snapshot: tuple[Mapping[str, Ed25519PublicKey], float | None] = ({}, None)
        self._cooldown_since: float | None = None
        self._last_failure: JWKSUnavailable | None = None

    def key_for(self, kid: str, now: float) -> Ed25519PublicKey:
        """Return the public key for `kid`, fetching the JWKS when the cache is stale or lacks it."""
        keys, fetched_at = self._snapshot
        if _within(now, fetched_at, self._cache_ttl):
            key = keys.get(kid)
            if key is not None:
                return key
        return self._key_after_refresh(kid, now)

    def _key_after_refresh(self, kid: str, now: float) -> Ed25519PublicKey:
        """Refresh if the cache is stale or lacks the kid and no cooldown holds, then look again."""
        with self._lock:
            keys, fetched_at = self._snapshot
            stale = not _within(now, fetched_at, self._cache_ttl)
            cooling_down = _within(now, self._cooldown_since, self._refetch_interval)
            if stale and cooling_down and self._last_failure is not None:
                raise JWKSUnavailable(str(self._last_failure)) from self._last_failure
            if not cooling_down and (stale or kid not in keys):
                keys = self._refresh(now, for_unknown_kid=not stale)
        key = keys.get(kid)
        if key is None:
            raise UnknownKey(f"no published key has kid {kid!r}")
        return key

    def _refresh(self, now: float, *, for_unknown_kid: bool) -> Mapping[str, Ed25519PublicKey]:
        """Fetch and parse the JWKS; a refetch for an unknown kid or a failure starts a cooldown."""
        if for_unknown_kid:
            self._cooldown_since = now
        try:
            keys = parse_jwks(self._download())
        except JWKSUnavailable as exc:
            self._cooldown_since = now
            self._last_failure = exc
            raise
        self._snapshot = (keys, now)
        self._last_failure = None
        return keys

    def _download(self) -> bytes:
        """Fetch the JWKS body, turning network and HTTP failures into JWKSUnavailable."""
        try:
            return self._fetch(self._url)
        except FETCH_ERRORS as exc:
            raise JWKSUnavailable(f"could not fetch JWKS from {self._url}: {exc}") from exc
