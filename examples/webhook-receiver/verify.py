"""Verify a consent-service webhook (Standard Webhooks, HMAC-SHA256) with the standard library only."""
import base64, hashlib, hmac, json, time

TOLERANCE_SECONDS = 300  # refuse replays of old captures and far-future timestamps


def verify(secret: str, headers, body: bytes, now: float | None = None) -> dict:
    """The event if one v1 signature matches and the timestamp is fresh; ValueError otherwise."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        raise ValueError("webhook timestamp outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    for signature in headers["webhook-signature"].split():  # several while secrets rotate
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise ValueError("no valid webhook signature")
