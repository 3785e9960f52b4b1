"""Probes: /healthz says the process is up, /readyz that the database answers."""
from __future__ import annotations

from consent_service import create_app
from tests.conftest import settings_for

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_database_outage_is_503_unavailable_with_retry_after():
    app = create_app(settings_for(UNREACHABLE))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["code"] == "unavailable"
    assert ready.headers["Retry-After"]
    check = client.post(
        "/v1/checks",
        json={"subject": {"kind": "customer", "id": "c"}, "purposes": ["marketing"]},
        headers={"Authorization": "Bearer sk_abcdefgh_" + "a" * 38},
    )
    assert check.status_code in (401, 503)  # a key with a bad checksum is refused before any query
