"""Token verification on one core: consent_verifier against raw Ed25519 and plain PyJWT.

    .venv/bin/python bench/verify_bench.py      # prints verifier=... raw=... pyjwt=... (per second)

Raw is `Ed25519PublicKey.verify` on pre-decoded bytes: the floor any verifier pays. Each figure
is the median of seven timed rounds in this one process, the rounds of the three interleaved.
"""
from __future__ import annotations

import base64
import json
import statistics
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consent_verifier import ConsentVerifier

ISSUER = "https://consent.example"
ROUNDS, PER_ROUND = 7, 3000


def per_second(operations: dict) -> dict[str, float]:
    """Rounds alternate between the operations, so load from elsewhere hits them alike."""
    rates: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(ROUNDS):
        for name, operation in operations.items():
            started = time.perf_counter()
            for _ in range(PER_ROUND):
                operation()
            rates[name].append(PER_ROUND / (time.perf_counter() - started))
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> None:
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    raw_public = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw_public).decode().rstrip("=")
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "use": "sig", "alg": "EdDSA"}]}
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "customer:c-1", "iat": now, "exp": now + 3600, "jti": "j",
              "purposes": {"marketing": True, "analytics": False, "recording": True}, "notice": "2026-01-01",
              "regime": "opt_in", "rev": 7}
    token = jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": "k1", "typ": "JWT"})
    verifier = ConsentVerifier(ISSUER, fetch=lambda url: json.dumps(jwks).encode())
    verifier.verify(token)  # fetch the keys once, as a long-running service would have
    signing_input, signature = token.rsplit(".", 1)
    message = signing_input.encode()
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))

    rates = per_second({
        "verifier": lambda: verifier.verify(token),
        "raw": lambda: public_key.verify(raw_signature, message),
        "pyjwt": lambda: jwt.decode(token, public_key, algorithms=["EdDSA"], issuer=ISSUER),
    })
    print(" ".join(f"{name}={rate:.0f}" for name, rate in rates.items()), f"ratio={rates['verifier'] / rates['raw']:.3f}")


if __name__ == "__main__":
    main()
