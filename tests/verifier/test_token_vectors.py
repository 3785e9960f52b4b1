"""consent_verifier against the shared token vectors, and whose token it is (issue 18, finding 8)."""
import json

import pytest

from consent_verifier import (
    ANY_VISITOR,
    AlgorithmNotAllowed,
    ClaimsInvalid,
    ConsentVerifier,
    IssuerMismatch,
    PropertyMismatch,
    SignatureInvalid,
    SubjectMismatch,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    UnknownKey,
)
from tests.vectors import token_vectors

VECTORS = json.loads(token_vectors.FILE.read_text())
REASONS = {
    "malformed": TokenMalformed,
    "algorithm": AlgorithmNotAllowed,
    "unknown_key": UnknownKey,
    "signature": SignatureInvalid,
    "issuer": IssuerMismatch,
    "expired": TokenExpired,
    "claims": ClaimsInvalid,
    "subject": SubjectMismatch,
    "property": PropertyMismatch,
}
SETTINGS = {
    "service": {"subject": VECTORS["subject"], "property": VECTORS["property"]},
    "browser": {"subject": ANY_VISITOR, "property": VECTORS["property"]},
}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def verifier_for(*documents: dict, clock: Clock | None = None) -> ConsentVerifier:
    """A verifier whose JWKS fetches answer `documents` in turn (the last one from then on); no network."""
    answers = [json.dumps(document).encode() for document in documents]

    def fetch(url: str) -> bytes:
        assert url == VECTORS["issuer"] + "/.well-known/jwks.json"
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return ConsentVerifier(VECTORS["issuer"], fetch=fetch, clock=clock or Clock(VECTORS["now"]))


def test_the_vectors_file_is_what_the_generator_writes():
    assert token_vectors.FILE.read_text() == token_vectors.render(), (
        "tests/vectors/token-vectors.json is stale: run .venv/bin/python -m tests.vectors.token_vectors"
    )


def test_the_vectors_cover_the_issue_list():
    names = {case["name"] for case in VECTORS["cases"]}
    for needed in ("valid", "tampered payload", "tampered signature", "alg none", "HS256", "wrong kid",
                   "wrong property", "expired", "removed from the JWKS", "another visitor"):
        assert any(needed in name for name in names), needed


@pytest.mark.parametrize("setting", sorted(SETTINGS))
@pytest.mark.parametrize("case", VECTORS["cases"], ids=[case["name"] for case in VECTORS["cases"]])
def test_each_vector_gets_its_answer(case, setting):
    verifier = verifier_for(VECTORS["jwks"])
    expected = case["expect"][setting]
    if expected == "valid":
        claims = verifier.verify(case["token"], **SETTINGS[setting])
        assert claims["purposes"] == {"necessary": True, "preferences": False, "analytics": True, "advertising": False}
        assert verifier.allowed(case["token"], "analytics", **SETTINGS[setting]) is True
    else:
        with pytest.raises(REASONS[expected]):
            verifier.verify(case["token"], **SETTINGS[setting])
        assert verifier.allowed(case["token"], "analytics", **SETTINGS[setting]) is False


def test_a_key_removed_from_the_jwks_stops_being_accepted():
    removed = next(case["token"] for case in VECTORS["cases"] if case["name"] == "key removed from the JWKS")
    clock = Clock(VECTORS["now"])
    verifier = verifier_for(VECTORS["previous_jwks"], VECTORS["jwks"], clock=clock)
    assert verifier.verify(removed, **SETTINGS["service"])  # while it was published
    clock.now += 301  # the cached JWKS is stale; the refetched one no longer lists the key
    with pytest.raises(UnknownKey):
        verifier.verify(removed, **SETTINGS["service"])


def test_another_customers_valid_token_is_refused():
    """Finding 8: a valid token answered True whoever it was about."""
    key = token_vectors.ACTIVE
    theirs = key.sign({k: v for k, v in token_vectors.claims(sub="customer:c-2").items() if k != "prp"})
    verifier = verifier_for(VECTORS["jwks"])
    assert verifier.allowed(theirs, "analytics", subject="customer:c-2") is True
    assert verifier.allowed(theirs, "analytics", subject="customer:c-1") is False
    with pytest.raises(SubjectMismatch):
        verifier.verify(theirs, subject="customer:c-1")
    # Without prp the token came through the API, never from a banner: no property may accept it.
    with pytest.raises(PropertyMismatch):
        verifier.verify(theirs, subject="customer:c-2", property="pk_vectors")


def test_a_banner_token_is_refused_without_its_property():
    valid = next(case["token"] for case in VECTORS["cases"] if case["name"] == "valid")
    verifier = verifier_for(VECTORS["jwks"])
    with pytest.raises(PropertyMismatch):
        verifier.verify(valid, subject=VECTORS["subject"])
    with pytest.raises(PropertyMismatch):
        verifier.verify(valid, subject=ANY_VISITOR, property="pk_other")


def test_the_caller_must_say_whose_token_it_expects():
    valid = next(case["token"] for case in VECTORS["cases"] if case["name"] == "valid")
    verifier = verifier_for(VECTORS["jwks"])
    with pytest.raises(TypeError):
        verifier.allowed(valid, "analytics")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        verifier.verify(valid)  # type: ignore[call-arg]
    for subject, prop in [(ANY_VISITOR, None), ("v_vectors", "pk_vectors"), ("", None), (None, None),
                          ("visitor:", "pk_vectors"), ("visitor:v_vectors", "")]:
        with pytest.raises(ValueError):
            verifier.allowed(valid, "analytics", subject=subject, property=prop)
    assert not isinstance(ValueError(), TokenInvalid)  # a caller's mistake is not an "invalid token"
