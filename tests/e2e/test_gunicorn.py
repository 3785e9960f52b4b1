"""End to end over HTTP: record, check, issue a token, verify it offline with the JWKS."""
from __future__ import annotations

import jwt
import pytest
import requests

from consent_verifier import ConsentVerifier, UnknownKey

pytestmark = pytest.mark.e2e


def test_record_check_and_verify_a_token_over_http(live_server):
    headers = {"Authorization": f"Bearer {live_server.key}"}
    events = f"{live_server.url}/v1/subjects/customer/e2e-1/consent-events"
    recorded = requests.post(
        events,
        json={"events": [{"purpose": "recording", "decision": "granted", "method": "verbal"}],
              "notice_version": "2020-05-01", "country": "DE", "actor": {"type": "agent", "id": "agent-42"}},
        headers=headers | {"Idempotency-Key": "e2e-1"},
        timeout=10,
    )
    assert recorded.status_code == 201, recorded.text
    check = {"subject": {"kind": "customer", "id": "e2e-1"}, "purposes": ["recording"], "country": "DE"}
    assert requests.post(f"{live_server.url}/v1/checks", json=check, headers=headers, timeout=10).json()["allowed"]

    token = requests.post(f"{live_server.url}/v1/subjects/customer/e2e-1/tokens", headers=headers, timeout=10).json()["token"]
    verifier = ConsentVerifier(live_server.url)
    assert verifier.allowed(token, "recording", subject="customer:e2e-1")
    assert not verifier.allowed(token, "recording", subject="customer:e2e-2")
    assert not verifier.allowed(token, "marketing", subject="customer:e2e-1")

    # Plain PyJWT against the published JWKS agrees.
    signing_key = jwt.PyJWKClient(f"{live_server.url}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    assert jwt.decode(token, signing_key, algorithms=["EdDSA"], issuer=live_server.url)["purposes"]["recording"]

    # A rotation from the CLI: the old token still verifies, new tokens carry the new kid.
    live_server.flask("signing-keys", "rotate")
    fresh_verifier = ConsentVerifier(live_server.url)
    assert fresh_verifier.allowed(token, "recording", subject="customer:e2e-1")
    deadline_tokens = [
        requests.post(f"{live_server.url}/v1/subjects/customer/e2e-1/tokens", headers=headers, timeout=10).json()["token"]
        for _ in range(2)
    ]
    assert all(fresh_verifier.verify(t, subject="customer:e2e-1")["sub"] == "customer:e2e-1" for t in deadline_tokens)


def test_a_token_signed_by_an_unknown_key_is_rejected(live_server):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = jwt.encode(
        {"iss": live_server.url, "sub": "customer:x", "iat": 1, "exp": 4_000_000_000, "purposes": {"marketing": True}},
        Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "key_forged"},
    )
    with pytest.raises(UnknownKey):
        ConsentVerifier(live_server.url).verify(forged, subject="customer:x")


def test_errors_over_http_are_json(live_server):
    response = requests.post(f"{live_server.url}/v1/checks", json={}, timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unauthorized"
