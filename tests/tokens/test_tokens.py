"""Issued tokens verify offline with the published keys, across key rotation."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import jwt
import pytest

from consent_service.extensions import db

ISSUER = "http://consent.test"
CLAIMS_SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "consent-token.schema.json").read_text())


@pytest.fixture(autouse=True)
def real_time(clock):
    """Verifiers compare exp with the wall clock, so these tokens are issued at the real time."""
    clock.current = datetime.now(timezone.utc).replace(microsecond=0)


def issue(client, headers, subject="customer/c-1", **body):
    response = client.post(f"/v1/subjects/{subject}/tokens", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def verify_with_pyjwt(client, token: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(token, key, algorithms=["EdDSA"], issuer=ISSUER)


def test_token_carries_the_effective_decisions_and_verifies_with_plain_pyjwt(client, full_access, clock):
    client.post(
        "/v1/subjects/customer/c-1/consent-events",
        json={"events": [{"purpose": "recording", "decision": "granted", "method": "verbal"}],
              "notice_version": "2020-05-01", "country": "DE"},
        headers=full_access,
    )
    issued = issue(client, full_access)
    claims = verify_with_pyjwt(client, issued["token"])
    jsonschema.validate(claims, CLAIMS_SCHEMA)
    assert claims["sub"] == "customer:c-1"
    assert claims["purposes"]["recording"] is True
    assert claims["purposes"]["marketing"] is False
    assert claims["purposes"]["necessary"] is True
    assert claims["notice"] == "2020-05-01"
    assert claims["regime"] == "opt_in"
    assert claims["rev"] == 1
    assert claims["exp"] - claims["iat"] == 3600
    assert issued["expires_at"] == (clock() + timedelta(hours=1)).isoformat()
    header = jwt.get_unverified_header(issued["token"])
    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"


def test_token_lifetime_is_capped(client, full_access):
    claims = jwt.decode(issue(client, full_access, ttl_seconds=10**9)["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 400 * 86400


def test_rotation_keeps_old_tokens_verifiable_and_signs_new_ones_with_the_new_key(app, client, full_access, clock):
    before = issue(client, full_access)["token"]
    old_kid = jwt.get_unverified_header(before)["kid"]

    result = app.test_cli_runner().invoke(args=["signing-keys", "rotate"])
    assert result.exit_code == 0, result.output
    db.session.remove()

    after = issue(client, full_access)["token"]
    new_kid = jwt.get_unverified_header(after)["kid"]
    assert new_kid != old_kid
    assert new_kid in result.output
    published = {key["kid"] for key in client.get("/.well-known/jwks.json").json["keys"]}
    assert published == {old_kid, new_kid}
    lines = app.test_cli_runner().invoke(args=["signing-keys", "list"]).stdout.splitlines()
    assert lines[0].split() == ["KID", "CREATED_AT", "RETIRED_AT"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}  # both made within the same second: any order
    assert rows[new_kid][2] == "-" and rows[old_kid][2] != "-"  # signing, and retired
    retired = next(line for line in lines[1:] if line.startswith(old_kid))
    assert lines[0].index("RETIRED_AT") == retired.rindex(rows[old_kid][2])  # columns start under their header
    listed = json.loads(app.test_cli_runner().invoke(args=["signing-keys", "list", "--json"]).stdout)
    assert {key["kid"]: key["retired_at"] is None for key in listed} == {new_kid: True, old_kid: False}
    assert verify_with_pyjwt(client, before)["sub"] == "customer:c-1"
    assert verify_with_pyjwt(client, after)["sub"] == "customer:c-1"

    clock.advance(days=401)  # longer than any token may live: the retired key is no longer published
    published = {key["kid"] for key in client.get("/.well-known/jwks.json").json["keys"]}
    assert published == {new_kid}


def test_tampered_token_fails_plain_verification(client, full_access):
    token = issue(client, full_access)["token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_pyjwt(client, tampered)


def test_private_keys_are_stored_encrypted(app, client, full_access):
    from sqlalchemy import select

    from consent_service.signing_keys.models import SigningKey

    issue(client, full_access)
    stored = db.session.scalars(select(SigningKey)).one()
    assert stored.private_key_encrypted.startswith("gAAAA")  # a Fernet token, not key material


def test_tokens_need_the_tokens_issue_scope(client, auth):
    response = client.post("/v1/subjects/customer/c-1/tokens", json={}, headers=auth("consents:read"))
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"
