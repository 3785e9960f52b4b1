"""Signatures on ledger evidence (checkpoints, retirements): JWS with the token keys, checked with public keys only.

A seal is signed with the service's active Ed25519 key, whose private half is stored encrypted
under KEY_ENCRYPTION_KEYS: someone who holds only the database cannot make one. It is checked
against public keys alone, either the service's genuine keys (KeyStore.genuine_public_keys: a
key row inserted by hand is left out) or a JWKS document kept outside the database.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from consent_service.consents import chain
from consent_service.consents.models import RetiredChain
from consent_service.signing_keys.keystore import KeyStore

CHECKPOINT_TYPE = "ledger-checkpoint+jwt"
RETIREMENT_TYPE = "ledger-retirement+jwt"
JWKS_TIMEOUT_SECONDS = 10


class SealInvalid(ValueError):
    """A seal that is not of the expected kind, names an unknown key, or does not verify."""


class JwksUnusable(ValueError):
    """A JWKS document that cannot be read or holds no Ed25519 key."""


def sign(*, session: Session, keystore: KeyStore, typ: str, claims: Mapping[str, Any], now: datetime) -> str:
    key = keystore.active(session=session, now=now)
    return jwt.encode(dict(claims), key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": typ})


def open_seal(token: str, *, typ: str, keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """The claims of a seal of this kind signed by one of `keys`; SealInvalid otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise SealInvalid(f"not a JWS ({type(exc).__name__})") from None
    if header.get("typ") != typ:
        raise SealInvalid(f"not a {typ}")
    public_key = keys.get(header.get("kid", ""))
    if public_key is None:
        raise SealInvalid(f"signed by key {header.get('kid')!r}, which is not one of the trusted keys")
    try:
        return jwt.decode(token, public_key, algorithms=["EdDSA"], options={"verify_iat": False, "verify_exp": False})
    except jwt.InvalidTokenError as exc:
        raise SealInvalid(f"the signature does not verify ({type(exc).__name__})") from None


def jwks_keys(document: str | bytes) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS document (as /.well-known/jwks.json serves it), by kid."""
    try:
        keys = {}
        for entry in json.loads(document)["keys"]:
            if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519" and entry.get("kid"):
                key = jwt.PyJWK(entry, algorithm="EdDSA").key
                keys[entry["kid"]] = key
    except (ValueError, KeyError, TypeError, jwt.PyJWKError) as exc:
        raise JwksUnusable(f"not a JWKS document ({type(exc).__name__})") from None
    if not keys:
        raise JwksUnusable("the JWKS holds no Ed25519 key")
    return keys


def load_jwks(source: str) -> dict[str, Ed25519PublicKey]:
    """A JWKS from a file, or from an http(s) URL (the service's /.well-known/jwks.json)."""
    try:
        if source.startswith(("https://", "http://")):
            # Only http(s) reaches urlopen (checked just above): no file: or ftp: URL is opened here.
            with urllib.request.urlopen(source, timeout=JWKS_TIMEOUT_SECONDS) as response:
                return jwks_keys(response.read())
        with open(source, "rb") as handle:
            return jwks_keys(handle.read())
    except OSError as exc:  # URLError and timeouts too
        raise JwksUnusable(f"cannot read {source}: {exc}") from None


def retirement_claims(*, subject_id: int, revision: int, hash_: str, retired_at: datetime, reason: str) -> dict:
    return {
        "sub": str(subject_id),
        "rev": revision,
        "hash": hash_,
        "retired_at": chain.timestamp(retired_at),
        "reason": reason,
    }


def seal_retirement(
    *, session: Session, keystore: KeyStore, subject_id: int, revision: int, hash_: str, reason: str, now: datetime
) -> str:
    """The seal retention stores with a chain it removes: which head went, when and why."""
    claims = retirement_claims(subject_id=subject_id, revision=revision, hash_=hash_, retired_at=now, reason=reason)
    return sign(session=session, keystore=keystore, typ=RETIREMENT_TYPE, claims=claims, now=now)


def retirement_problem(retired: RetiredChain, keys: Mapping[str, Ed25519PublicKey] | None) -> str | None:
    """Why a retired_chains row is not backed by a retention run's seal, or None when it is."""
    if retired.seal is None:
        return "no seal: this retirement was not recorded by a retention run (or predates migration 0015)"
    if keys is None:
        return "the seal cannot be checked without the service's keys"
    try:
        claims = open_seal(retired.seal, typ=RETIREMENT_TYPE, keys=keys)
    except SealInvalid as exc:
        return f"the seal is not the service's: {exc}"
    expected = {
        "sub": str(retired.subject_id),
        "rev": retired.revision,
        "hash": retired.hash,
        "retired_at": chain.timestamp(retired.retired_at),
    }
    differing = [name for name, value in expected.items() if claims.get(name) != value]
    if differing:
        return f"the row's {', '.join(differing)} differ from what its seal retired"
    return None
