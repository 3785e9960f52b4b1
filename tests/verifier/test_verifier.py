"""consent_verifier against real Ed25519 keys, PyJWT-signed tokens and a real JWKS HTTP server."""

import ast
import base64
import hashlib
import hmac
import json
import pathlib
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent_verifier import (
    AlgorithmNotAllowed,
    ClaimsInvalid,
    ConsentVerifier,
    HeaderRejected,
    IssuerMismatch,
    JWKSUnavailable,
    SignatureInvalid,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    TokenNotYetValid,
    UnknownKey,
)

REPO = pathlib.Path(__file__).resolve().parents[2]
SUBJECT = "visitor:3f2a9c1e-5b7d-4e0a-9f1c-2d3e4f5a6b7c"
PROPERTY = "pk_demo_shop"
# Whose token the tests expect: the subject and the banner property of make_claims.
EXPECTED = {"subject": SUBJECT, "property": PROPERTY}
JWKS_PATH = "/.well-known/jwks.json"
T0 = 1_760_000_000
LIFETIME = 600
DROP = object()
# Hypothesis examples share the function-scoped server; its database would litter the repo.
PROPERTY_SETTINGS = settings(
    database=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- helpers -----------------------------------------------------------------------------


class Clock:
    """A clock the tests move by hand instead of sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


class SigningKey:
    """An Ed25519 key pair with a kid: publishes a JWK, signs tokens with PyJWT."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def jwk(self) -> dict:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(self.public_bytes),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }

    def sign(self, claims: dict, **headers: object) -> str:
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid, **headers})

    def sign_unchecked(self, claims: object) -> str:
        """Sign without PyJWT, which refuses to encode some of the bad claims we test."""
        header = {"alg": "EdDSA", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
        return f"{signing_input}.{b64url(self.private.sign(signing_input.encode()))}"


def make_claims(issuer: str, now: float, **overrides: object) -> dict:
    """A token's claims as the consent service issues them; DROP removes a claim."""
    claims = {
        "iss": issuer,
        "sub": SUBJECT,
        "iat": int(now),
        "exp": int(now) + LIFETIME,
        "jti": "01J9Z3Q8W6K2M4N5P7R8S9T0VX",
        "purposes": {"necessary": True, "analytics": True, "advertising": False},
        "notice": "2020-05-01",
        "regime": "opt_in",
        "rev": 3,
        "prp": PROPERTY,
        "gpc": False,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


def compact(header: dict, claims: dict, signature: bytes) -> str:
    return f"{b64url_json(header)}.{b64url_json(claims)}.{b64url(signature)}"


def hs256_token(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}".encode()
    return f"{signing_input.decode()}.{b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())}"


def replace_char(token: str, index: int, alphabet: str) -> str:
    """The token with the character at `index` replaced by the first different one of `alphabet`."""
    new = next(c for c in alphabet if c != token[index])
    return token[:index] + new + token[index + 1 :]


B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --- a real JWKS server ------------------------------------------------------------------


class JWKSState:
    """What the test server publishes, and how often it was asked."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.keys: list[dict] = []
        self.status = 200
        self.raw_body: bytes | None = None
        self._lock = threading.Lock()
        self._requests = 0

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def record_request(self) -> None:
        with self._lock:
            self._requests += 1

    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps({"keys": self.keys}).encode()


class JWKSHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        state: JWKSState = self.server.state
        state.record_request()
        if self.path != JWKS_PATH:
            self.send_error(404)
            return
        body = state.body()
        self.send_response(state.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def jwks_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), JWKSHandler)
    server.state = JWKSState(server.server_address[1])
    # A short poll interval keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server.state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def key(jwks_server):
    signing_key = SigningKey("key-2025-01")
    jwks_server.keys.append(signing_key.jwk)
    return signing_key


@pytest.fixture
def verifier(jwks_server, clock):
    return ConsentVerifier(jwks_server.issuer, clock=clock)


@pytest.fixture
def claims(jwks_server, clock):
    return make_claims(jwks_server.issuer, clock.now)


@pytest.fixture
def token(key, claims):
    return key.sign(claims)


@pytest.fixture
def closed_port_url():
    """A URL on a port that was just free, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- valid tokens ------------------------------------------------------------------------


def test_valid_token_returns_its_claims(verifier, token, claims, jwks_server):
    assert verifier.verify(token, **EXPECTED) == claims
    assert verifier.verify(token.encode("ascii"), **EXPECTED) == claims
    assert jwks_server.requests == 1


@pytest.mark.parametrize(
    ("purpose", "expected"),
    [("necessary", True), ("analytics", True), ("advertising", False), ("marketing", False)],
)
def test_allowed_answers_per_purpose(verifier, token, purpose, expected):
    assert verifier.allowed(token, purpose, **EXPECTED) is expected


def test_allowed_is_false_for_an_invalid_token(verifier, token):
    assert verifier.allowed(token[:-4] + "AAAA", "analytics", **EXPECTED) is False
    assert verifier.allowed("garbage", "analytics", **EXPECTED) is False


def test_jwks_is_fetched_once_and_cached_for_the_ttl(verifier, token, clock, jwks_server):
    verifier.verify(token, **EXPECTED)
    clock.advance(299)
    verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 1
    clock.advance(1)
    verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 2


def test_token_without_typ_and_with_customer_subject_verifies(verifier, key, claims):
    claims["sub"] = "customer:C-1042"
    del claims["prp"]
    token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid, "typ": None})
    assert "typ" not in jwt.get_unverified_header(token)
    assert verifier.verify(token, subject="customer:C-1042")["sub"] == "customer:C-1042"


def test_concurrent_first_use_fetches_the_jwks_once(verifier, token, jwks_server):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda t: verifier.verify(t, **EXPECTED), [token] * 64))
    assert all(result["sub"].startswith("visitor:") for result in results)
    assert jwks_server.requests == 1


# --- tampering and algorithms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("payload_first", SignatureInvalid),
        ("payload_last", SignatureInvalid),
        ("signature_first", SignatureInvalid),
        ("signature_last", TokenInvalid),  # may also be caught earlier as non-canonical base64
    ],
)
def test_one_changed_character_is_rejected(verifier, token, where, error):
    header_len, payload_len = (len(part) for part in token.split(".")[:2])
    index = {
        "payload_first": header_len + 1,
        "payload_last": header_len + payload_len,
        "signature_first": header_len + payload_len + 2,
        "signature_last": len(token) - 1,
    }[where]
    with pytest.raises(error):
        verifier.verify(replace_char(token, index, B64URL_ALPHABET), **EXPECTED)


def test_non_canonical_base64_signature_is_rejected(verifier, token):
    # 64 signature bytes take 86 characters, whose last one has 4 unused low bits: setting
    # one yields a different string that lenient decoders map to the very same signature.
    sibling = B64URL_ALPHABET[B64URL_ALPHABET.index(token[-1]) | 1]
    lenient = base64.urlsafe_b64decode
    assert lenient(token.split(".")[2] + "==") == lenient(token[:-1].split(".")[2] + sibling + "==")
    with pytest.raises(TokenMalformed):
        verifier.verify(token[:-1] + sibling, **EXPECTED)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_single_character_change_is_rejected(verifier, token, data):
    index = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    new = data.draw(st.sampled_from(B64URL_ALPHABET + ".=+/ ").filter(lambda c: c != token[index]))
    with pytest.raises(TokenInvalid):
        verifier.verify(token[:index] + new + token[index + 1 :], **EXPECTED)


def test_payload_from_another_token_is_rejected(verifier, key, jwks_server, clock, token):
    granted = key.sign(make_claims(jwks_server.issuer, clock.now, purposes={"advertising": True}))
    header, _, signature = token.split(".")
    forged = f"{header}.{granted.split('.')[1]}.{signature}"
    with pytest.raises(SignatureInvalid):
        verifier.verify(forged, **EXPECTED)


def test_alg_none_is_rejected(verifier, key, claims):
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": key.kid})
    with pytest.raises(TokenMalformed):
        verifier.verify(unsigned, **EXPECTED)  # "h.p." has an empty signature segment
    with pytest.raises(AlgorithmNotAllowed):
        verifier.verify(unsigned + "AAAA", **EXPECTED)


@pytest.mark.parametrize("secret_form", ["raw", "pem", "jwk_x"])
def test_hs256_signed_with_the_public_key_is_rejected(verifier, key, claims, secret_form):
    secret = {
        "raw": key.public_bytes,
        "pem": key.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk_x": key.jwk["x"].encode(),
    }[secret_form]
    forged = hs256_token({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, claims, secret)
    with pytest.raises(AlgorithmNotAllowed):
        verifier.verify(forged, **EXPECTED)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "Ed25519", "eddsa", "EDDSA", None, ["EdDSA"]])
def test_other_algorithms_are_rejected(verifier, key, claims, alg):
    signed = key.sign(claims)
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    forged = f"{b64url_json(header)}.{signed.split('.', 1)[1]}"
    with pytest.raises(AlgorithmNotAllowed):
        verifier.verify(forged, **EXPECTED)


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "http://127.0.0.1:1/evil.json"},
        {"x5u": "http://127.0.0.1:1/evil.pem"},
        {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
        {"x5c": ["MIIB"]},
        {"crit": ["exp"]},
    ],
)
def test_headers_that_choose_a_key_are_rejected(verifier, key, claims, extra):
    with pytest.raises(HeaderRejected):
        verifier.verify(key.sign(claims, **extra), **EXPECTED)


@pytest.mark.parametrize("typ", ["at+jwt", "JOSE", "jwt", 1])
def test_unexpected_typ_is_rejected(verifier, key, claims, typ):
    with pytest.raises(HeaderRejected):
        verifier.verify(key.sign(claims, typ=typ), **EXPECTED)


def test_header_with_duplicate_alg_is_rejected(verifier, key, claims):
    signed = key.sign(claims)
    header = '{"alg":"none","kid":"%s","alg":"EdDSA"}' % key.kid
    forged = f"{b64url(header.encode())}.{signed.split('.', 1)[1]}"
    with pytest.raises(TokenMalformed):
        verifier.verify(forged, **EXPECTED)


# --- time ----------------------------------------------------------------------------------


def test_expired_token_is_accepted_within_the_leeway_only(verifier, token, clock):
    clock.advance(LIFETIME + 59)
    assert verifier.verify(token, **EXPECTED)
    clock.advance(1)
    with pytest.raises(TokenExpired):
        verifier.verify(token, **EXPECTED)
    clock.advance(3600)
    with pytest.raises(TokenExpired):
        verifier.verify(token, **EXPECTED)


def test_leeway_zero_rejects_at_exp(jwks_server, clock, token):
    strict = ConsentVerifier(jwks_server.issuer, clock=clock, leeway=0)
    clock.advance(LIFETIME - 1)
    assert strict.verify(token, **EXPECTED)
    clock.advance(1)
    with pytest.raises(TokenExpired):
        strict.verify(token, **EXPECTED)


def test_iat_in_the_future_is_rejected_beyond_the_skew(verifier, key, jwks_server, clock):
    within = key.sign(make_claims(jwks_server.issuer, clock.now + 5))
    beyond = key.sign(make_claims(jwks_server.issuer, clock.now + 6))
    assert verifier.verify(within, **EXPECTED)
    with pytest.raises(TokenNotYetValid):
        verifier.verify(beyond, **EXPECTED)


def test_nbf_in_the_future_is_rejected(verifier, key, jwks_server, clock):
    token = key.sign(make_claims(jwks_server.issuer, clock.now, nbf=int(clock.now) + 60))
    with pytest.raises(TokenNotYetValid):
        verifier.verify(token, **EXPECTED)


# --- claims ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer_claim", ["https://evil.example", "http://127.0.0.1:1", None, DROP, ["x"]]
)
def test_wrong_issuer_is_rejected(verifier, key, jwks_server, clock, issuer_claim):
    token = key.sign_unchecked(make_claims(jwks_server.issuer, clock.now, iss=issuer_claim))
    with pytest.raises(IssuerMismatch):
        verifier.verify(token, **EXPECTED)


def test_issuer_with_trailing_slash_is_a_different_issuer(verifier, key, jwks_server, clock):
    token = key.sign(make_claims(jwks_server.issuer + "/", clock.now))
    with pytest.raises(IssuerMismatch):
        verifier.verify(token, **EXPECTED)


@pytest.mark.parametrize(
    "override",
    [
        {"exp": DROP},
        {"exp": str(T0 + 60)},
        {"exp": float(T0 + 60)},
        {"exp": True},
        {"iat": DROP},
        {"iat": None},
        {"sub": DROP},
        {"sub": "visitor:"},
        {"sub": "admin:1"},
        {"sub": "3f2a9c1e"},
        {"sub": 42},
        {"purposes": DROP},
        {"purposes": ["analytics"]},
        {"purposes": {"analytics": "yes"}},
        {"purposes": {"analytics": 1}},
        {"purposes": {"analytics": None}},
    ],
)
def test_missing_or_mistyped_claims_are_rejected(verifier, key, jwks_server, clock, override):
    token = key.sign_unchecked(make_claims(jwks_server.issuer, clock.now, **override))
    with pytest.raises(ClaimsInvalid):
        verifier.verify(token, **EXPECTED)


def test_payload_that_is_not_an_object_is_rejected(verifier, key):
    with pytest.raises(TokenMalformed):
        verifier.verify(key.sign_unchecked([1, 2, 3]), **EXPECTED)


# --- keys and the JWKS ---------------------------------------------------------------------


def test_unknown_kid_refetches_at_most_once_per_interval(verifier, token, key, claims, jwks_server, clock):
    verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 1
    for n in range(20):
        with pytest.raises(UnknownKey):
            verifier.verify(key.sign(claims, kid=f"random-{n}"), **EXPECTED)
    assert jwks_server.requests == 2
    clock.advance(29)
    with pytest.raises(UnknownKey):
        verifier.verify(SigningKey("ghost").sign(claims), **EXPECTED)
    assert jwks_server.requests == 2
    clock.advance(1)
    with pytest.raises(UnknownKey):
        verifier.verify(SigningKey("ghost").sign(claims), **EXPECTED)
    assert jwks_server.requests == 3
    assert verifier.verify(token, **EXPECTED)


def test_rotated_key_is_picked_up_and_removed_key_dropped(verifier, key, jwks_server, clock, claims):
    old_token = key.sign(claims)
    assert verifier.verify(old_token, **EXPECTED)
    new_key = SigningKey("key-2025-02")
    jwks_server.keys.append(new_key.jwk)
    new_token = new_key.sign(claims)
    assert verifier.verify(new_token, **EXPECTED) == claims
    assert verifier.verify(old_token, **EXPECTED) == claims
    assert jwks_server.requests == 2

    jwks_server.keys = [new_key.jwk]
    clock.advance(300)
    with pytest.raises(UnknownKey):
        verifier.verify(old_token, **EXPECTED)
    assert verifier.verify(new_token, **EXPECTED)


def test_only_ed25519_signature_keys_are_taken_from_the_jwks(verifier, jwks_server, clock):
    good = SigningKey("good")
    candidates = {
        "rsa": {"kty": "RSA", "n": "sXch", "e": "AQAB"},
        "x25519": {"crv": "X25519"},
        "enc": {"use": "enc"},
        "es256": {"alg": "ES256"},
        "short": {"x": b64url(b"\x01" * 31)},
        "padded": {"x": b64url(good.public_bytes) + "="},
        "private": {"d": b64url(b"\x02" * 32)},
        "numeric-x": {"x": 12},
    }
    keys_by_kid = {kid: SigningKey(kid) for kid in candidates}
    jwks_server.keys = [good.jwk, {**good.jwk, "kid": 7}, "not a key", None]
    for kid, changes in candidates.items():
        jwks_server.keys.append({**keys_by_kid[kid].jwk, **changes})
    claims = make_claims(jwks_server.issuer, clock.now)
    assert verifier.verify(good.sign(claims), **EXPECTED)
    for kid, signing_key in keys_by_kid.items():
        with pytest.raises(UnknownKey):
            verifier.verify(signing_key.sign(claims), **EXPECTED)


def test_key_without_use_or_alg_is_accepted(verifier, jwks_server, clock):
    bare = SigningKey("bare")
    jwks_server.keys = [{"kty": "OKP", "crv": "Ed25519", "x": bare.jwk["x"], "kid": "bare"}]
    assert verifier.verify(bare.sign(make_claims(jwks_server.issuer, clock.now)), **EXPECTED)


def test_duplicate_kid_keeps_the_first_key(verifier, jwks_server, clock):
    first, impostor = SigningKey("same"), SigningKey("same")
    jwks_server.keys = [first.jwk, impostor.jwk]
    claims = make_claims(jwks_server.issuer, clock.now)
    assert verifier.verify(first.sign(claims), **EXPECTED)
    with pytest.raises(SignatureInvalid):
        verifier.verify(impostor.sign(claims), **EXPECTED)


def test_jwks_server_down_raises_jwks_unavailable(closed_port_url, clock, key, claims):
    down = ConsentVerifier(closed_port_url, clock=clock)
    token = key.sign({**claims, "iss": closed_port_url})
    with pytest.raises(JWKSUnavailable) as raised:
        down.verify(token, **EXPECTED)
    assert isinstance(raised.value, TokenInvalid)
    assert down.allowed(token, "analytics", **EXPECTED) is False


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"error": "boom"}'),
        (404, b"not found"),
        (200, b"<html>maintenance</html>"),
        (200, b'{"keys": {"kid": "x"}}'),
        (200, b"[]"),
        (200, b"\xff\xfe"),
    ],
)
def test_broken_jwks_response_raises_jwks_unavailable(verifier, token, jwks_server, status, body):
    jwks_server.status, jwks_server.raw_body = status, body
    with pytest.raises(JWKSUnavailable):
        verifier.verify(token, **EXPECTED)


def test_failed_fetch_is_retried_only_after_the_interval(verifier, token, jwks_server, clock):
    jwks_server.status = 503
    for _ in range(5):
        with pytest.raises(JWKSUnavailable):
            verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 1
    jwks_server.status = 200
    clock.advance(30)
    assert verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 2


def test_stale_keys_are_not_used_when_the_refresh_fails(verifier, token, jwks_server, clock):
    verifier.verify(token, **EXPECTED)
    jwks_server.status = 503
    clock.advance(300)
    with pytest.raises(JWKSUnavailable):
        verifier.verify(token, **EXPECTED)
    with pytest.raises(JWKSUnavailable):
        verifier.verify(token, **EXPECTED)
    assert jwks_server.requests == 2


def test_failed_unknown_kid_refetch_keeps_the_fresh_keys(verifier, token, key, claims, jwks_server):
    verifier.verify(token, **EXPECTED)
    jwks_server.status = 503
    with pytest.raises(JWKSUnavailable):
        verifier.verify(SigningKey("ghost").sign(claims), **EXPECTED)
    assert verifier.verify(token, **EXPECTED)


def test_injected_fetch_is_used_and_its_errors_are_wrapped(key, claims, clock):
    calls = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        raise TimeoutError("timed out")

    offline = ConsentVerifier(claims["iss"], clock=clock, fetch=fetch)
    with pytest.raises(JWKSUnavailable):
        offline.verify(key.sign(claims), **EXPECTED)
    assert calls == [claims["iss"] + JWKS_PATH]


def test_jwks_url_must_be_http(clock):
    with pytest.raises(ValueError):
        ConsentVerifier("http://127.0.0.1:8000", "file:///etc/passwd", clock=clock)


# --- garbage in, TokenInvalid out --------------------------------------------------------


def _header(value: object) -> str:
    return b64url(value if isinstance(value, bytes) else json.dumps(value).encode())


GARBAGE = [
    "",
    ".",
    "..",
    "abc",
    "a.b",
    "a.b.c.d",
    "eyJhbGciOiJFZERTQSJ9.e30",
    "eyJhbGciOiJFZERTQSJ9.e30.e30.e30",
    "a.b.c",
    "abcde.abcde.abcde",
    "###.$$$.%%%",
    "eyJ=.e30.AA",
    "eyJhbGciOiJFZERTQSJ9.e30.AA\n",
    " eyJhbGciOiJFZERTQSJ9.e30.AA",
    "ëyJ.e30.AA",
    f"{_header(b'not json')}.e30.AAAA",
    f"{_header([1, 2])}.e30.AAAA",
    f"{_header('EdDSA')}.e30.AAAA",
    f"{_header(b'{}')}.e30.AAAA",
    f"{_header({'alg': 'EdDSA'})}.e30.AAAA",
    f"{_header({'alg': 'EdDSA', 'kid': ''})}.e30.AAAA",
    f"{_header({'alg': 'EdDSA', 'kid': 7})}.e30.AAAA",
    _header(b'{"alg": NaN}') + ".e30.AAAA",
    _header(b"\xff\xfe{}") + ".e30.AAAA",
    f"{_header(b'[' * 2500 + b']' * 2500)}.e30.AAAA",  # deep nesting, under the size cap
    "A" * (1024 * 1024),
    "eyJhbGciOiJFZERTQSJ9." + "A" * (1024 * 1024) + ".AAAA",
    b"\xff\xfe.a.b",
    b"A" * (1024 * 1024),
    None,
    42,
    ["a", "b", "c"],
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_raises_token_invalid(verifier, garbage, jwks_server):
    with pytest.raises(TokenInvalid):
        verifier.verify(garbage, **EXPECTED)
    assert verifier.allowed(garbage, "necessary", **EXPECTED) is False
    assert jwks_server.requests == 0


@PROPERTY_SETTINGS
@given(garbage=st.one_of(st.text(), st.binary(), st.from_regex(r"[A-Za-z0-9_=+/.-]{0,300}", fullmatch=True)))
def test_random_garbage_raises_token_invalid(verifier, garbage):
    with pytest.raises(TokenInvalid):
        verifier.verify(garbage, **EXPECTED)


@PROPERTY_SETTINGS
@given(
    kid=st.text(min_size=1, max_size=20),
    payload=st.binary(max_size=200),
    signature=st.binary(max_size=100),
)
def test_well_formed_header_with_random_rest_raises_token_invalid(verifier, key, kid, payload, signature):
    header = _header({"alg": "EdDSA", "kid": kid, "typ": "JWT"})
    token = f"{header}.{b64url(payload) or 'e30'}.{b64url(signature) or 'AA'}"
    with pytest.raises(TokenInvalid):
        verifier.verify(token, **EXPECTED)


# --- the package stays standalone and the schema matches the tokens --------------------------


def test_verifier_imports_only_stdlib_pyjwt_and_cryptography():
    allowed_roots = set(sys.stdlib_module_names) | {"jwt", "cryptography"}
    for path in (REPO / "consent_verifier").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed_roots, f"{path.name} imports {roots - allowed_roots}"


@pytest.fixture(scope="module")
def claims_schema():
    schema = json.loads((REPO / "schemas" / "consent-token.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_issued_claims_match_the_schema(claims_schema, verifier, token):
    claims_schema.validate(verifier.verify(token, **EXPECTED))
    minimal = make_claims("http://127.0.0.1:8000", T0, prp=DROP, gpc=DROP, notice=None)
    claims_schema.validate(minimal)


@pytest.mark.parametrize(
    "override",
    [
        {"sub": "admin:1"},
        {"purposes": {"Analytics": True}},
        {"purposes": {"a": True}},
        {"purposes": {"analytics": "yes"}},
        {"rev": -1},
        {"rev": 1.5},
        {"exp": "soon"},
        {"prp": "shop"},
        {"gpc": "1"},
        {"jti": DROP},
        {"regime": DROP},
        {"notice": 2020},
        {"unknown_claim": 1},
    ],
)
def test_schema_rejects_claims_outside_the_contract(claims_schema, override):
    with pytest.raises(jsonschema.ValidationError):
        claims_schema.validate(make_claims("http://127.0.0.1:8000", T0, **override))
