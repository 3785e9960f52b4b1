"""Bad tokens and links: every forgery, mangling or misuse is refused as such, never a 500 or an adoption."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from consent_service.extensions import db
from consent_service.preferences.links import LinkInvalid, LinkKind
from consent_service.runtime import app_signer, runtime
from consent_service.tokens import service as tokens
from tests.hardening.conftest import ORIGIN

ISSUER = "http://consent.test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def real_token(app, clock, prop):
    return tokens.issue_token(session=db.session, keystore=runtime().keystore, rules=runtime().rules, issuer=ISSUER,
                              kind="visitor", external_id="v_1", ttl_seconds=3600, now=clock(),
                              property_key=prop.publishable_key).token


def verify(token, clock):
    return tokens.verify_token(session=db.session, keystore=runtime().keystore, issuer=ISSUER, token=token, now=clock())


def forged(real_token: str, clock) -> dict[str, str]:
    header, payload, signature = real_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    kid = jwt.get_unverified_header(real_token)["kid"]
    public = runtime().keystore.public_key(session=db.session, kid=kid, now=clock())
    public_raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    attacker = Ed25519PrivateKey.generate()
    attacker_jwk = {"kty": "OKP", "crv": "Ed25519",
                    "x": b64(attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))}
    receipt = jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": kid, "typ": "consent-receipt+jwt"})
    return {
        "truncated": real_token[:-10],
        "bad base64": f"{header}.{payload}.!!!not*base64!!!",
        "two segments": f"{header}.{payload}",
        "four segments": f"{real_token}.{signature}",
        "non-JSON header": f"{b64(b'not json')}.{payload}.{signature}",
        "non-JSON payload": f"{header}.{b64(b'not json')}.{signature}",
        "one megabyte": "a" * (1024 * 1024),
        "alg none": f"{b64(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{payload}.",
        "HS256 with our public key": _hs256(claims, kid, public_raw),
        "unknown kid": jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": "key_unknown"}),
        "path-like kid": jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": "../../../etc/passwd"}),
        "jku injected": jwt.encode(claims, attacker, algorithm="EdDSA",
                                   headers={"kid": kid, "jku": "https://attacker.example/jwks.json"}),
        "x5u injected": jwt.encode(claims, attacker, algorithm="EdDSA",
                                   headers={"kid": kid, "x5u": "https://attacker.example/cert.pem"}),
        "jwk injected": jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": kid, "jwk": attacker_jwk}),
        "wrong typ": receipt,
        "wrong issuer": jwt.encode({**claims, "iss": "https://attacker.example"}, attacker, algorithm="EdDSA",
                                   headers={"kid": kid}),
        "preference link": app_signer().sign(LinkKind.PREFERENCES, {"c": "c-1"}).token,
        "empty": "",
    }


def _hs256(claims: dict, kid: str, secret: bytes) -> str:
    import hashlib
    import hmac

    header = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def test_the_real_token_verifies(real_token, clock):
    assert verify(real_token, clock)["sub"] == "visitor:v_1"


def test_every_forgery_is_rejected_as_a_token_error(real_token, clock):
    for name, token in forged(real_token, clock).items():
        with pytest.raises(tokens.TokenRejected):
            verify(token, clock)
            pytest.fail(f"accepted: {name}")


def test_forgeries_on_the_banner_never_adopt_the_visitor_nor_fail(client, prop, real_token, clock):
    config = client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}).json
    for name, token in forged(real_token, clock).items():
        response = client.post(f"/v1/banner/{prop.publishable_key}/consents", json={
            "choices": {"analytics": True}, "method": "banner_custom", "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"], "token": token})
        # Too big for the body limit or the field: refused; otherwise a fresh visitor, never v_1.
        assert response.status_code in (201, 413, 422), (name, response.status_code)
        if response.status_code == 201:
            assert response.json["visitor_id"] != "v_1", name
        else:
            assert response.json["code"] in ("payload_too_large", "validation_error"), name


def test_a_consent_token_is_not_a_preference_link_nor_one_link_kind_another(real_token, app):
    signer = app_signer()
    with pytest.raises(LinkInvalid):
        signer.verify(LinkKind.PREFERENCES, real_token)
    one_click = signer.sign(LinkKind.ONE_CLICK, {"c": "c-1"}).token
    with pytest.raises(LinkInvalid):
        signer.verify(LinkKind.PREFERENCES, one_click)


def test_clock_skew_is_tolerated_within_the_documented_bounds(app, clock, prop):
    def token_at(moment):
        return tokens.issue_token(session=db.session, keystore=runtime().keystore, rules=runtime().rules,
                                  issuer=ISSUER, kind="visitor", external_id="v_2", ttl_seconds=60, now=moment).token

    from_a_fast_instance = token_at(clock() + timedelta(seconds=tokens.IAT_SKEW_SECONDS))
    assert verify(from_a_fast_instance, clock)
    with pytest.raises(tokens.TokenRejected):
        verify(token_at(clock() + timedelta(seconds=tokens.IAT_SKEW_SECONDS + 1)), clock)

    expiring = token_at(clock())
    clock.advance(seconds=60 + tokens.EXP_LEEWAY_SECONDS - 1)
    assert verify(expiring, clock)
    clock.advance(seconds=1)
    with pytest.raises(tokens.TokenRejected):
        verify(expiring, clock)
    assert tokens.EXP_LEEWAY_SECONDS <= 60


@pytest.mark.parametrize("typ", ["consent-receipt+jwt", "ledger-checkpoint+jwt", "JWT+other"])
def test_our_own_signature_on_a_document_of_another_kind_is_not_a_consent_token(real_token, clock, typ):
    """Receipts and ledger checkpoints are signed with the same keys: the typ header keeps them apart."""
    claims = jwt.decode(real_token, options={"verify_signature": False})
    active = runtime().keystore.active(session=db.session, now=clock())
    same_claims_other_kind = jwt.encode(claims, active.private_key, algorithm="EdDSA",
                                        headers={"kid": active.kid, "typ": typ})
    assert verify(jwt.encode(claims, active.private_key, algorithm="EdDSA", headers={"kid": active.kid}), clock)
    with pytest.raises(tokens.TokenRejected):
        verify(same_claims_other_kind, clock)
