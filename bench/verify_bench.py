"""Token verification on one core: consent_verifier against raw Ed25519 and plain PyJWT.

    .venv/bin/python bench/verify_bench.py      # prints verifier=... raw=... pyjwt=... (per second)

Raw is `Ed25519PublicKey.verify` on pre-decoded bytes: the floor any verifier pays. The three
run in short interleaved rounds in this one process; each rate is the median over the rounds, and
the ratio the median of each round's verifier/raw ratio, so a slow second of this shared machine
weighs on both sides of the ratio it decides.
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
ROUNDS, PER_ROUND = 25, 1000


def per_second(operations: dict) -> dict[str, list[float]]:
    """Each operation's rate in every round; rounds alternate between the operations, so load from
    elsewhere hits them alike."""
    rates: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(ROUNDS):
        for name, operation in operations.items():
            started = time.perf_counter()
            for _ in range(PER_ROUND):
                operation()
            rates[name].append(PER_ROUND / (time.perf_counter() - started))
    return rates


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
    verifier.verify(token, subject="customer:c-1")  # fetch the keys once, as a long-running service would have
    signing_input, signature = token.rsplit(".", 1)
    message = signing_input.encode()
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))

    rates = per_second({
        "verifier": lambda: verifier.verify(token, subject="customer:c-1"),
        "raw": lambda: public_key.verify(raw_signature, message),
        "pyjwt": lambda: jwt.decode(token, public_key, algorithms=["EdDSA"], issuer=ISSUER),
    })
    ratio = statistics.median(ours / raw for ours, raw in zip(rates["verifier"], rates["raw"]))
    print(" ".join(f"{name}={statistics.median(values):.0f}" for name, values in rates.items()), f"ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
