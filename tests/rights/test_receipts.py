"""Consent receipts are JWS signed with the token keys, verifiable offline, never usable as tokens."""
from __future__ import annotations

import jwt
import pytest
from jwt.algorithms import OKPAlgorithm

from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.tokens.service import TokenRejected, verify_token


def test_a_receipt_verifies_with_the_jwks_and_carries_the_consent_receipt_fields(client, auth, record):
    record("customer", "c-1", [("recording", "granted", "verbal")], country="DE",
           actor={"type": "agent", "id": "agent-42"}, evidence={"reference": "call-123"})
    event = client.get("/v1/subjects/customer/c-1/consent-events", headers=auth("consents:read")).json["events"][0]

    response = client.get(f"/v1/subjects/customer/c-1/consent-events/{event['id']}/receipt", headers=auth("consents:read"))

    assert response.status_code == 200
    token = response.json["receipt"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "consent-receipt+jwt" and header["alg"] == "EdDSA"
    jwks = client.get("/.well-known/jwks.json").json
    key = OKPAlgorithm.from_jwk(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims | {
        "version": "KI-CR-v1.1.0", "jurisdiction": "DE", "collectionMethod": "verbal", "piiPrincipalId": "customer:c-1",
        "legalBasis": "consent", "noticeVersion": "v1", "purposeId": "recording", "decision": "granted",
        "eventId": event["id"], "consentReceiptID": f"cr_{event['id']}",
    } == claims
    assert claims["piiControllers"][0]["piiController"] == "Consent Service operator"
    assert claims["services"][0]["purposes"][0]["consentType"] == "EXPLICIT"
    assert claims["consentTimestamp"] == 1768469400  # 2026-01-15T09:30:00Z


def test_a_receipt_is_not_a_consent_token_and_belongs_to_its_subject(client, auth, record, clock):
    record("customer", "c-1", [("marketing", "granted", "api")])
    event = client.get("/v1/subjects/customer/c-1/consent-events", headers=auth("consents:read")).json["events"][0]
    token = client.get(f"/v1/subjects/customer/c-1/consent-events/{event['id']}/receipt",
                       headers=auth("consents:read")).json["receipt"]

    with pytest.raises(TokenRejected, match="not a consent token"):
        verify_token(session=db.session, keystore=runtime().keystore, issuer="http://consent.test", token=token,
                     now=clock())
    other = client.get(f"/v1/subjects/customer/c-2/consent-events/{event['id']}/receipt", headers=auth("consents:read"))
    assert other.status_code == 404
