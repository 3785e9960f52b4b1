"""The JOSE header rules: EdDSA only, a kid, and none of the headers that point at other keys."""

from .encoding import b64url_decode, strict_json_object
from .errors import AlgorithmNotAllowed, HeaderRejected, TokenMalformed

ALGORITHM = "EdDSA"
TOKEN_TYPE = "JWT"

# Headers that would let the token choose its own key (jku, x5u, jwk, x5c) or demand
# extensions we do not implement (crit): honouring any of them lets an attacker pick the key.
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})


def kid_from_header(header_b64: str) -> str:
    """Decode and check a header segment, returning the kid of the key that must verify it."""
    header = strict_json_object(b64url_decode(header_b64))
    if header.get("alg") != ALGORITHM:
        raise AlgorithmNotAllowed(f"alg must be {ALGORITHM}")
    forbidden = FORBIDDEN_HEADERS.intersection(header)
    if forbidden:
        raise HeaderRejected(f"header must not carry {', '.join(sorted(forbidden))}")
    if header.get("typ", TOKEN_TYPE) != TOKEN_TYPE:
        raise HeaderRejected(f"typ must be {TOKEN_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenMalformed("header has no kid")
    return kid
