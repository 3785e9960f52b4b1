"""Why a consent token was refused: one exception type per reason, all under TokenInvalid."""


class TokenInvalid(Exception):
    """The token must not be trusted; the subclass says why."""


class TokenMalformed(TokenInvalid):
    """Not a compact JWS we can read: wrong shape, size, base64url or JSON."""


class HeaderRejected(TokenInvalid):
    """The JOSE header asks for something this verifier never allows."""


class AlgorithmNotAllowed(HeaderRejected):
    """The header's `alg` is not EdDSA."""


class UnknownKey(TokenInvalid):
    """No published key has the token's `kid`, even after refreshing the JWKS."""


class JWKSUnavailable(TokenInvalid):
    """The issuer's JWKS could not be fetched or read, so no key can be trusted."""


class SignatureInvalid(TokenInvalid):
    """The Ed25519 signature does not match the header and payload."""


class IssuerMismatch(TokenInvalid):
    """The token was issued by someone other than the configured issuer."""


class TokenExpired(TokenInvalid):
    """`exp` has passed, even allowing for the leeway."""


class TokenNotYetValid(TokenInvalid):
    """`iat` (or `nbf`) lies further in the future than clock skew explains."""


class ClaimsInvalid(TokenInvalid):
    """A required claim is missing or has the wrong type."""


class SubjectMismatch(TokenInvalid):
    """The token is about another subject than the one the caller expects."""


class PropertyMismatch(TokenInvalid):
    """The token was issued to another property's banner, or to none where one was expected."""
