"""The shared consent-token test vectors: one JSON file every verifier's tests read.

    .venv/bin/python -m tests.vectors.token_vectors    # rewrites tests/vectors/token-vectors.json

Read by the snippet's unit tests (js-snippet/test), the Node example (examples/node-verify) and
the Python verifier's tests (tests/verifier), which also check the file is what this script
writes. Keys come from fixed seeds and Ed25519 signatures are deterministic, so the output is
stable. Each case says what a verifier answers in two settings: `service`, which expects the file's
`subject` and `property` (consent_verifier, the Node example), and `browser`, which expects any
visitor of the `property` (the banner, and ANY_VISITOR in the services' verifiers). The answer is
"valid" or the reason for refusing it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FILE = Path(__file__).resolve().parent / "token-vectors.json"
ISSUER = "https://consent.vectors.test"
PROPERTY = "pk_vectors"
SUBJECT = "visitor:v_vectors"
NOW = 1_760_000_000
LIFETIME = 180 * 86400
RAW = serialization.Encoding.Raw


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


class Key:
    """A fixed test key: its seed is a hash of its name, never a secret."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"token-vectors:{kid}".encode()).digest())
        self.public_bytes = self.private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)

    @property
    def jwk(self) -> dict:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.public_bytes), "kid": self.kid, "use": "sig", "alg": "EdDSA"}

    def sign(self, claims: dict, *, kid: str | None = None, **header: object) -> str:
        signing_input = f"{b64url_json({'alg': 'EdDSA', 'kid': kid or self.kid, 'typ': 'JWT', **header})}.{b64url_json(claims)}"
        return f"{signing_input}.{b64url(self.private.sign(signing_input.encode()))}"


ACTIVE, PREVIOUS, REMOVED, FOREIGN = Key("k_active"), Key("k_previous"), Key("k_removed"), Key("k_foreign")


def claims(**overrides: object) -> dict:
    """A banner token's claims as the service issues them."""
    return {
        "iss": ISSUER,
        "sub": SUBJECT,
        "iat": NOW - 3600,
        "exp": NOW - 3600 + LIFETIME,
        "jti": "vectors-jti",
        "purposes": {"necessary": True, "preferences": False, "analytics": True, "advertising": False},
        "notice": "2026-01-01",
        "regime": "opt_in",
        "rev": 2,
        "prp": PROPERTY,
        "gpc": False,
        **overrides,
    }


def _flip(segment: str, index: int) -> str:
    """One base64url character changed (not the last, whose low bits may be unused)."""
    return segment[:index] + ("B" if segment[index] == "A" else "A") + segment[index + 1:]


def _tampered_payload(token: str) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64url_json(claims(purposes={**claims()['purposes'], 'advertising': True}))}.{signature}"


def _tampered_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{_flip(signature, 10)}"


def _alg_none(signature: str) -> str:
    return f"{b64url_json({'alg': 'none', 'kid': ACTIVE.kid, 'typ': 'JWT'})}.{b64url_json(claims())}.{signature}"


def _hs256_with_public_key(secret: bytes) -> str:
    signing_input = f"{b64url_json({'alg': 'HS256', 'kid': ACTIVE.kid, 'typ': 'JWT'})}.{b64url_json(claims())}"
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _case(name: str, token: str, service: str, browser: str | None = None) -> dict:
    return {"name": name, "token": token, "expect": {"service": service, "browser": browser or service}}


def build() -> dict:
    """The vectors document."""
    valid = ACTIVE.sign(claims())
    pem = ACTIVE.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = [
        _case("valid", valid, "valid"),
        _case("valid, signed by an older key still in the JWKS", PREVIOUS.sign(claims()), "valid"),
        _case("tampered payload (advertising flipped, signature kept)", _tampered_payload(valid), "signature"),
        _case("tampered signature", _tampered_signature(valid), "signature"),
        _case("alg none, empty signature", _alg_none(""), "malformed"),
        _case("alg none, a signature kept", _alg_none(valid.rsplit(".", 1)[1]), "algorithm"),
        _case("HS256 keyed with the raw public key", _hs256_with_public_key(ACTIVE.public_bytes), "algorithm"),
        _case("HS256 keyed with the PEM public key", _hs256_with_public_key(pem), "algorithm"),
        _case("wrong kid", ACTIVE.sign(claims(), kid="k_unknown"), "unknown_key"),
        _case("signed by another key under a published kid", FOREIGN.sign(claims(), kid=ACTIVE.kid), "signature"),
        _case("signed by another key under its own kid", FOREIGN.sign(claims()), "unknown_key"),
        _case("key removed from the JWKS", REMOVED.sign(claims()), "unknown_key"),
        _case("wrong property", ACTIVE.sign(claims(prp="pk_other")), "property"),
        _case("no property (a token not issued to a banner)", ACTIVE.sign({k: v for k, v in claims().items() if k != "prp"}), "property"),
        _case("expired", ACTIVE.sign(claims(iat=NOW - LIFETIME - 7200, exp=NOW - 3600)), "expired"),
        _case("wrong issuer", ACTIVE.sign(claims(iss="https://evil.test")), "issuer"),
        _case("another visitor of the property", ACTIVE.sign(claims(sub="visitor:v_other")), "subject", "valid"),
        _case("a customer subject", ACTIVE.sign(claims(sub="customer:c-1")), "subject"),
        _case("a purpose decision that is not a boolean", ACTIVE.sign(claims(purposes={"advertising": "yes"})), "claims"),
        _case("not a JWS", "not-a-token", "malformed"),
    ]
    return {
        "description": "Consent-token vectors shared by the snippet, the Node example and consent_verifier; "
                       "written by tests/vectors/token_vectors.py, do not edit by hand.",
        "issuer": ISSUER,
        "property": PROPERTY,
        "subject": SUBJECT,
        "now": NOW,
        "jwks": {"keys": [ACTIVE.jwk, PREVIOUS.jwk]},
        "previous_jwks": {"keys": [REMOVED.jwk, PREVIOUS.jwk]},
        "cases": cases,
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


if __name__ == "__main__":
    FILE.write_text(render())
    print(f"wrote {FILE}")
