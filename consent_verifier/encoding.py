"""Strict base64url and JSON decoding of JWS segments, raising TokenMalformed on anything odd."""

import base64
import json
from typing import Any

from .errors import TokenMalformed

# For a segment of length 2 or 3 (mod 4) the last character carries unused low bits; RFC 4648
# requires them to be zero. Accepting other values would let several strings decode to the same
# bytes, so a "changed" signature character could still verify.
_CANONICAL_LAST_CHAR = {
    2: frozenset("AQgw"),
    3: frozenset("AEIMQUYcgkosw048"),
}
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded base64url that is already known to use only the URL-safe alphabet."""
    remainder = len(segment) % 4
    if remainder == 1:
        raise TokenMalformed("base64url segment has an impossible length")
    if remainder and segment[-1] not in _CANONICAL_LAST_CHAR[remainder]:
        raise TokenMalformed("base64url segment is not canonically encoded")
    return base64.urlsafe_b64decode(segment + "=" * (-remainder % 4))


def b64url_decode_checked(segment: object) -> bytes:
    """Decode unpadded base64url from an untrusted value (e.g. a JWKS field), checking the alphabet."""
    if not isinstance(segment, str) or not _ALPHABET.issuperset(segment):
        raise TokenMalformed("not a base64url string")
    return b64url_decode(segment)


def _reject_constant(name: str) -> None:
    """Refuse NaN and Infinity, which JSON does not have but Python's parser accepts."""
    raise ValueError(f"JSON constant {name} is not allowed")


def _unique_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Build a JSON object, refusing duplicate member names (parsers disagree on which wins)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member name")
    return obj


def strict_json_object(raw: bytes) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object without duplicate names; for untrusted input."""
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
        )
    # RecursionError: deeply nested arrays fit in a few KiB and exhaust the C parser's stack.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TokenMalformed("segment is not valid JSON") from exc
    if not isinstance(value, dict):
        raise TokenMalformed("segment is not a JSON object")
    return value


def signed_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a JSON object whose bytes were already authenticated; the fast path for payloads."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TokenMalformed("payload is not valid JSON") from exc
    if not isinstance(value, dict):
        raise TokenMalformed("payload is not a JSON object")
    return value
