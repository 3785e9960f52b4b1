"""Verify the consent service's tokens offline, in any Python service.

A consent token is a compact JWS signed with Ed25519 (``alg: EdDSA``) by the consent
service; its public keys are published at ``<issuer>/.well-known/jwks.json``. This package
needs only the standard library and ``cryptography``: no Flask, no consent_service.

Usage::

    from consent_verifier import ANY_VISITOR, ConsentVerifier, TokenInvalid

    verifier = ConsentVerifier("https://consent.example.com")
    if verifier.allowed(token, "recording", subject="customer:c-1"):   # False for any invalid
        start_recording()                         # token, and for a valid one of someone else

    # A site reading its own banner's cookie: any visitor, but of this property only.
    if verifier.allowed(cookie, "analytics", subject=ANY_VISITOR, property="pk_live_shop"):
        track_page_view()

    try:
        claims = verifier.verify(token, subject="customer:c-1")   # dict of claims
    except TokenInvalid as exc:                   # TokenExpired, UnknownKey, JWKSUnavailable, ...
        log.info("consent token refused: %s", type(exc).__name__)

What is checked: three base64url segments of at most 8 KiB; a header with ``alg`` exactly
``EdDSA``, a ``kid`` published in the JWKS, ``typ`` (if any) ``JWT`` and no ``jku``/``x5u``/
``jwk``/``x5c``/``crit``; the Ed25519 signature; ``iss`` equal to the configured issuer;
``exp`` (with ``leeway``), ``iat`` no more than ``iat_skew`` seconds ahead; ``sub`` a
``visitor:``/``customer:`` subject and ``purposes`` an object of booleans; ``sub`` the expected
subject and ``prp`` the expected property (absent when none is expected: a banner's token is only
accepted for its own property). The JWKS is cached
for ``cache_ttl`` seconds and refetched at most once per ``refetch_interval`` for an unknown
kid; when it cannot be fetched, verification fails closed with ``JWKSUnavailable``.
"""

# The distribution's version (consent_verifier/pyproject.toml reads it); the Node package keeps the same.
__version__ = "0.1.0"

from .claims import ANY_VISITOR
from .errors import (
    AlgorithmNotAllowed,
    ClaimsInvalid,
    HeaderRejected,
    IssuerMismatch,
    JWKSUnavailable,
    PropertyMismatch,
    SignatureInvalid,
    SubjectMismatch,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    TokenNotYetValid,
    UnknownKey,
)
from .verifier import ConsentVerifier

__all__ = [
    "ANY_VISITOR",
    "AlgorithmNotAllowed",
    "ClaimsInvalid",
    "ConsentVerifier",
    "HeaderRejected",
    "IssuerMismatch",
    "JWKSUnavailable",
    "PropertyMismatch",
    "SignatureInvalid",
    "SubjectMismatch",
    "TokenExpired",
    "TokenInvalid",
    "TokenMalformed",
    "TokenNotYetValid",
    "UnknownKey",
]
