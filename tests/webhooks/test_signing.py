"""Signatures follow Standard Webhooks, and the receiver example of docs/api.md verifies them."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from consent_service.webhooks import signing
from tests.webhooks.conftest import load_receiver_example

# The test vector published with the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_standard_webhooks_test_vector():
    assert signing.sign(secret=SECRET, msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY) == SIGNATURE


def test_the_receiver_example_accepts_valid_and_refuses_forged_deliveries():
    verify = load_receiver_example().verify
    headers = signing.headers(secret=SECRET, msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY)
    assert verify(SECRET, headers, BODY, now=TIMESTAMP + 10) == {"test": 2432232314}
    rotated = {**headers, "webhook-signature": "v1,bm90IGl0 " + headers["webhook-signature"]}
    assert verify(SECRET, rotated, BODY, now=TIMESTAMP) == {"test": 2432232314}
    with pytest.raises(ValueError):
        verify(SECRET, headers, b'{"test": 2432232315}', now=TIMESTAMP)
    with pytest.raises(ValueError):
        verify(signing.generate_secret(), headers, BODY, now=TIMESTAMP)
    with pytest.raises(ValueError):
        verify(SECRET, {**headers, "webhook-id": "msg_other"}, BODY, now=TIMESTAMP)
    with pytest.raises(ValueError):
        verify(SECRET, headers, BODY, now=TIMESTAMP + 301)


def test_secrets_are_random_whsec_base64_and_round_trip_through_encryption():
    from tests.conftest import ENCRYPTION_KEY

    first, second = signing.generate_secret(), signing.generate_secret()
    assert first.startswith("whsec_") and first != second
    cipher = signing.SecretCipher((ENCRYPTION_KEY,))
    assert cipher.decrypt(cipher.encrypt(first)) == first
    with pytest.raises(signing.SecretDecryptionFailed):
        signing.SecretCipher((Fernet.generate_key().decode(),)).decrypt(cipher.encrypt(first))
