"""What the banner verifies its stored token with (issue 24): the keys in its configuration, a
CORS-readable JWKS, and the service's check for browsers without Ed25519 in WebCrypto."""
from __future__ import annotations

import base64
import json

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.runtime import runtime
from tests.banner.conftest import ORIGIN

ALL = {"preferences": True, "analytics": True, "advertising": True}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify(client, prop, token, origin=ORIGIN):
    return client.post(f"/v1/banner/{prop.publishable_key}/verify", json={"token": token}, headers={"Origin": origin})


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def test_the_config_carries_the_issuer_and_the_published_keys(client, banner, choose):
    token = choose(ALL, method="banner_accept_all").json["token"]  # the first token creates the first key
    config = banner()
    published = client.get("/.well-known/jwks.json").json["keys"]
    assert config["tokens"] == {"issuer": runtime().settings.token_issuer, "keys": published}
    jwk = next(k for k in config["tokens"]["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
    public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="))
    assert jwt.decode(token, public_key, algorithms=["EdDSA"], options={"verify_aud": False},
                      issuer=config["tokens"]["issuer"])["purposes"]["analytics"] is True


def test_the_keys_are_not_part_of_the_banner_version_but_a_rotation_changes_the_etag(client, prop, banner, choose, clock):
    choose(ALL, method="banner_accept_all")
    url = f"/v1/banner/{prop.publishable_key}?lang=en"
    before = client.get(url, headers={"Origin": ORIGIN})
    runtime().keystore.rotate(session=db.session, now=clock())
    db.session.commit()
    after = client.get(url, headers={"Origin": ORIGIN, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "a cached configuration must not keep the old key set"
    assert after.json["banner_version"] == before.json["banner_version"]
    assert len(after.json["tokens"]["keys"]) == len(before.json["tokens"]["keys"]) + 1
    again = client.get(url, headers={"Origin": ORIGIN, "If-None-Match": after.headers["ETag"]})
    assert again.status_code == 304


def test_the_jwks_is_readable_from_any_page_and_cacheable(client):
    response = client.get("/.well-known/jwks.json", headers={"Origin": "https://any-site.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"] and "max-age=300" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_verify_answers_the_verified_claims_of_a_valid_token(client, prop, choose):
    token = choose({"analytics": True}).json["token"]
    answer = verify(client, prop, token)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.json["valid"] is True
    assert answer.json["claims"]["purposes"]["analytics"] is True
    assert answer.json["claims"]["purposes"]["advertising"] is False
    assert answer.json["claims"]["prp"] == prop.publishable_key


def test_verify_refuses_forged_foreign_and_other_property_tokens_and_writes_nothing(client, auth, prop, choose, banner):
    token = choose({"analytics": True}).json["token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    flipped = b64url(json.dumps({**claims, "purposes": {**claims["purposes"], "advertising": True}}).encode())
    other = client.post(
        "/v1/properties",
        json={"name": "Other", "allowed_origins": ["https://other.example"], "notice_version": "1",
              "notice_url": "https://other.example/privacy"},
        headers=auth("admin"),
    ).json
    other_config = client.get(f"/v1/banner/{other['publishable_key']}").json
    foreign = client.post(
        f"/v1/banner/{other['publishable_key']}/consents",
        json={"choices": ALL, "method": "banner_accept_all", "notice_version": "1",
              "banner_version": other_config["banner_version"]},
    ).json["token"]
    kid = jwt.get_unverified_header(token)["kid"]
    bad = {
        "tampered payload": f"{header}.{flipped}.{signature}",
        "alg none": f"{b64url(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{flipped}.",
        "another key": jwt.encode({**claims, "purposes": {"advertising": True}}, Ed25519PrivateKey.generate(),
                                  algorithm="EdDSA", headers={"kid": kid}),
        "unknown kid": jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "key_ghost"}),
        "another property": foreign,
        "garbage": "not-a-token",
    }
    written = event_count()
    for name, forged in bad.items():
        answer = verify(client, prop, forged)
        assert answer.status_code == 200, (name, answer.json)
        assert answer.json["valid"] is False, name
        assert "claims" not in answer.json, name
    assert event_count() == written


def test_verify_needs_a_token_and_an_allowed_origin(client, prop):
    missing = client.post(f"/v1/banner/{prop.publishable_key}/verify", json={}, headers={"Origin": ORIGIN})
    assert missing.status_code == 422 and missing.json["code"] == "validation_error"
    foreign = verify(client, prop, "a.b.c", origin="https://evil.example")
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers


def test_verify_is_rate_limited_like_the_banner(app_with, prop):
    client = app_with(banner_rate_limit_per_ip="3/minute").test_client()
    one_ip = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [client.post(f"/v1/banner/{prop.publishable_key}/verify", json={"token": "a.b.c"},
                            headers={"Origin": ORIGIN}, environ_base=one_ip).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
