"""Secret keys: one generic 401 for every failure, revocation at once, constant-time comparison."""
from __future__ import annotations

import hmac

from consent_service.apikeys import service as apikeys
from consent_service.extensions import db

STATE = "/v1/subjects/customer/c-1/consents"


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


def test_unknown_key_bad_checksum_and_wrong_secret_get_the_same_401(client, make_key):
    real = make_key("consents:read")
    prefix, secret_and_checksum = real[:11], real[12:]
    secret, checksum = secret_and_checksum[:32], secret_and_checksum[32:]
    # A well-formed key whose checksum matches but whose secret is not the stored one.
    wrong_secret = f"{prefix}_{_flip(secret[0])}{secret[1:]}" + apikeys._checksum(prefix + _flip(secret[0]) + secret[1:])
    unknown = "sk_zzzzzzzz_" + secret + apikeys._checksum("sk_zzzzzzzz" + secret)
    bad_checksum = f"{prefix}_{secret}{_flip(checksum[0])}{checksum[1:]}"
    answers = []
    for presented in (unknown, bad_checksum, wrong_secret, "", "sk_short", real + "x"):
        response = client.get(STATE, headers={"Authorization": f"Bearer {presented}"})
        answers.append((response.status_code, response.get_data(), response.headers.get("WWW-Authenticate")))
    assert len(set(answers)) == 1
    assert answers[0][0] == 401
    assert client.get(STATE, headers={"Authorization": f"Bearer {real}"}).status_code == 200


def test_revoking_a_key_takes_effect_on_the_next_request(client, make_key, clock):
    key = make_key("consents:read")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(STATE, headers=headers).status_code == 200
    apikeys.revoke_key(session=db.session, prefix=key[:11], now=clock())
    db.session.commit()
    assert client.get(STATE, headers=headers).status_code == 401


def test_keys_are_compared_in_constant_time(app, make_key, monkeypatch):
    key = make_key("consents:read")
    compared = []
    real_compare = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(apikeys.hmac, "compare_digest", spy)
    apikeys.authenticate(session=db.session, presented=key)
    # Both the checksum and the stored hash go through hmac.compare_digest, never `==`.
    assert len(compared) == 2


def test_keys_carry_a_prefix_and_a_checksum(make_key):
    key = make_key("consents:read")
    match = apikeys.KEY_PATTERN.match(key)
    assert match and key.startswith("sk_")
    assert match.group(3) == apikeys._checksum(match.group(1) + match.group(2))
