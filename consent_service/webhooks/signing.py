"""Standard Webhooks signatures (HMAC-SHA256) and the signing secrets' encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class SecretDecryptionFailed(RuntimeError):
    """A stored webhook secret cannot be decrypted with any configured KEY_ENCRYPTION_KEYS."""


def generate_secret() -> str:
    """whsec_ + base64 of random bytes, the form Standard Webhooks libraries accept."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }


class SecretCipher:
    """Encrypts secrets with the first KEY_ENCRYPTION_KEYS key, decrypts with any of them."""

    def __init__(self, encryption_keys: tuple[str, ...]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            return self._fernet.decrypt(encrypted.encode()).decode()
        except InvalidToken:
            raise SecretDecryptionFailed(
                "a webhook secret cannot be decrypted with KEY_ENCRYPTION_KEYS; every instance must share them"
            ) from None
