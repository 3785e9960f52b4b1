"""The claim rules of a consent token: issuer, lifetime, subject and purposes."""

from typing import Any

from .errors import ClaimsInvalid, IssuerMismatch, PropertyMismatch, SubjectMismatch, TokenExpired, TokenNotYetValid

SUBJECT_KINDS = frozenset({"visitor", "customer"})


class AnyVisitor:
    """The expected subject when any visitor of one property may hold the token: a site reading
    its own banner's cookie does not know the visitor id beforehand, the property binds it."""

    def __repr__(self) -> str:
        return "ANY_VISITOR"


ANY_VISITOR = AnyVisitor()


def expected_subject(subject: object, property_key: object) -> None:
    """Refuse (ValueError, a caller's mistake) an expectation that cannot identify whose token it is."""
    if property_key is not None and (not isinstance(property_key, str) or not property_key):
        raise ValueError("property must be a non-empty string (the publishable key) or None")
    if subject is ANY_VISITOR:
        if property_key is None:
            raise ValueError("ANY_VISITOR needs the property whose banner issued the token")
        return
    if not isinstance(subject, str):
        raise ValueError('subject must be "visitor:<id>", "customer:<id>" or ANY_VISITOR')
    kind, colon, identifier = subject.partition(":")
    if not colon or not identifier or kind not in SUBJECT_KINDS:
        raise ValueError('subject must be "visitor:<id>", "customer:<id>" or ANY_VISITOR')


def check_binding(claims: dict[str, Any], *, subject: str | AnyVisitor, property_key: str | None) -> None:
    """The token must be about `subject` and issued to `property_key`'s banner (None: to no banner)."""
    sub = claims["sub"]
    if sub != subject and not (subject is ANY_VISITOR and sub.startswith("visitor:")):
        raise SubjectMismatch("the token is about another subject")
    if claims.get("prp") != property_key:
        to_whom = "another property" if property_key else "a banner"
        raise PropertyMismatch(f"the token was issued to {to_whom}")


def check_claims(claims: dict[str, Any], *, issuer: str, now: float, leeway: float, iat_skew: float) -> None:
    """Raise the matching TokenInvalid subclass unless the claims are usable at `now`."""
    if claims.get("iss") != issuer:
        raise IssuerMismatch("iss is not the configured issuer")
    _check_lifetime(claims, now=now, leeway=leeway, iat_skew=iat_skew)
    _check_subject(claims.get("sub"))
    _check_purposes(claims.get("purposes"))


def _check_lifetime(claims: dict[str, Any], *, now: float, leeway: float, iat_skew: float) -> None:
    """exp must lie ahead (less the leeway), iat and any nbf not beyond the allowed skew."""
    exp = claims.get("exp")
    iat = claims.get("iat")
    # `type(...) is int` rather than isinstance: JSON true/false parse to bool, a subclass of int.
    if type(exp) is not int or type(iat) is not int:
        raise ClaimsInvalid("exp and iat must be integers")
    if now >= exp + leeway:
        raise TokenExpired("token has expired")
    if iat > now + iat_skew:
        raise TokenNotYetValid("token was issued in the future")
    nbf = claims.get("nbf")
    if nbf is not None and (type(nbf) is not int or nbf > now + iat_skew):
        raise TokenNotYetValid("token is not valid yet")


def _check_subject(sub: object) -> None:
    """sub must read `visitor:<id>` or `customer:<id>`."""
    if not isinstance(sub, str):
        raise ClaimsInvalid("sub must be a string")
    kind, colon, identifier = sub.partition(":")
    if not colon or not identifier or kind not in SUBJECT_KINDS:
        raise ClaimsInvalid("sub must be visitor:<id> or customer:<id>")


def _check_purposes(purposes: object) -> None:
    """purposes must map each purpose key to a boolean decision."""
    if type(purposes) is not dict:
        raise ClaimsInvalid("purposes must be an object")
    for decision in purposes.values():
        if decision is not True and decision is not False:
            raise ClaimsInvalid("every purpose decision must be a boolean")
