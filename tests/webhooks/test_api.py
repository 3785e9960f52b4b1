"""Webhook endpoints through the admin API: the secret shown once, scopes, validation, SSRF."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.webhooks import transport
from consent_service.webhooks.models import WebhookEndpoint

BODY = {"url": "https://hooks.example.com/consent", "event_types": ["consent.changed", "subject.erased"],
        "description": "email platform"}


def test_create_read_patch_delete_a_webhook(client, auth, cipher):
    admin = auth("admin")
    created = client.post("/v1/webhooks", json=BODY, headers=admin)
    assert created.status_code == 201, created.json
    webhook = created.json
    assert webhook["id"].startswith("wh_") and webhook["enabled"] is True
    assert webhook["secret"].startswith("whsec_")
    assert webhook["event_types"] == ["consent.changed", "subject.erased"]

    shown = client.get(f"/v1/webhooks/{webhook['id']}", headers=admin).json
    assert "secret" not in shown and shown["url"] == BODY["url"]
    assert [w["id"] for w in client.get("/v1/webhooks", headers=admin).json["webhooks"]] == [webhook["id"]]
    assert all("secret" not in w for w in client.get("/v1/webhooks", headers=admin).json["webhooks"])

    stored = db.session.get(WebhookEndpoint, webhook["id"])
    assert webhook["secret"] not in stored.secret_encrypted  # encrypted at rest
    assert cipher.decrypt(stored.secret_encrypted) == webhook["secret"]

    patched = client.patch(f"/v1/webhooks/{webhook['id']}", json={"enabled": False, "event_types": ["notice.published"]},
                           headers=admin)
    assert patched.status_code == 200, patched.json
    assert patched.json["enabled"] is False and patched.json["event_types"] == ["notice.published"]
    assert patched.json["description"] == "email platform"

    deleted = client.delete(f"/v1/webhooks/{webhook['id']}", headers=admin)
    assert deleted.status_code == 200 and deleted.json["id"] == webhook["id"]
    assert client.get(f"/v1/webhooks/{webhook['id']}", headers=admin).status_code == 404
    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=admin).status_code == 404


def test_webhooks_need_the_admin_scope(client, auth):
    assert client.get("/v1/webhooks").status_code == 401
    assert client.post("/v1/webhooks", json=BODY).status_code == 401
    writer = auth("consents:write", "consents:read")
    assert client.get("/v1/webhooks", headers=writer).status_code == 403
    assert client.post("/v1/webhooks", json=BODY, headers=writer).status_code == 403
    assert client.delete("/v1/webhooks/wh_x", headers=writer).status_code == 403


@pytest.mark.parametrize("changes, field", [
    ({"url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": "https://user:pw@hooks.example.com/x"}, "url"),
    ({"url": "https://hooks.example.com/x#never-sent"}, "url"),
    ({"url": "https://hooks.example.com:65536/x"}, "url"),
    # JSON true or false only: marshmallow's Boolean alone also took 1, "yes" and "off".
    ({"enabled": 1}, "enabled"),
    ({"enabled": "yes"}, "enabled"),
    ({"event_types": ["consent.changed", "consent.eaten"]}, "event_types.1"),
    ({"event_types": []}, "event_types"),
])
def test_bad_webhooks_are_refused_and_nothing_is_stored(client, auth, changes, field):
    admin = auth("admin")
    response = client.post("/v1/webhooks", json={**BODY, **changes}, headers=admin)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert client.get("/v1/webhooks", headers=admin).json["webhooks"] == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/x", "http://localhost/x", "http://localhost./x", "http://api.localhost/x", "http://[::ffff:192.168.0.1]/x",
])
def test_private_targets_are_refused_unless_allowed(url):
    with pytest.raises(transport.TargetRefused):
        transport.check_url(url, allow_private=False)
    assert transport.check_url(url, allow_private=True) == url
    assert transport.check_url("https://hooks.example.com:8443/a?b=c", allow_private=False)


def test_a_name_that_resolves_to_loopback_is_refused_when_sending():
    # post() checks the resolved address, then connects to it: a name cannot be re-pointed in between.
    with pytest.raises(transport.TargetRefused):
        transport.post(url="http://localhost:9/x", body=b"{}", headers={}, timeout=1, allow_private=False)


def test_the_openapi_document_describes_the_webhook_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    assert set(paths["/v1/webhooks"]) >= {"get", "post"}
    assert set(paths["/v1/webhooks/{webhook_id}"]) >= {"get", "patch", "delete"}
    created = paths["/v1/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "secret" in str(client.get("/openapi.json").json["components"]["schemas"]) and created


def test_a_patch_that_names_nothing_is_refused(client, auth):
    admin = auth("admin")
    created = client.post("/v1/webhooks", json=BODY, headers=admin).json
    for body in ({}, None):
        response = client.patch(f"/v1/webhooks/{created['id']}", json=body, headers=admin)
        assert response.status_code == 422 and response.json["errors"] == {"_schema": ["Name at least one field to change."]}
    assert client.get(f"/v1/webhooks/{created['id']}", headers=admin).json["updated_at"] == created["updated_at"]

