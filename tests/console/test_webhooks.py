"""Webhook endpoints in the console: add (the signing secret shown once), change, disable and enable, delete;
through webhooks.service with the API's URL rule, each audited, a bad form refused whole (422)."""
from __future__ import annotations

import re

from sqlalchemy import select

from consent_service.audit.models import AuditEntry
from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.vocabulary import Method
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint
from consent_service.webhooks.signing import SecretCipher
from tests.console.conftest import csrf_of, record, sign_in

SECRET = re.compile(r'<code id="webhook-secret">(whsec_[^<]+)</code>')


def _entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEndpoint)))


def _add(console, url="https://hooks.example/in", events=("consent.changed", "subject.erased"), **more):
    return console.post("/admin/webhooks", data={"csrf_token": console.csrf, "url": url, "event_types": list(events),
                                                  "description": "CRM", **more})


def test_adding_an_endpoint_shows_its_secret_once_and_audits_it_without(console):
    page = _add(console)
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    secret = SECRET.search(html).group(1)
    (endpoint,) = _endpoints()
    assert (endpoint.url, endpoint.event_types, endpoint.description, endpoint.enabled) == (
        "https://hooks.example/in", ["consent.changed", "subject.erased"], "CRM", True)
    assert SecretCipher(runtime().settings.key_encryption_keys).decrypt(endpoint.secret_encrypted) == secret
    assert page.headers["Cache-Control"] == "no-store"
    entry = _entries()[-1]
    assert (entry.action, entry.target, entry.details["url"]) == ("webhook_created", endpoint.id, endpoint.url)
    assert secret not in str(entry.details)
    listed = console.get("/admin/webhooks").get_data(as_text=True)
    assert f'data-webhook="{endpoint.id}"' in listed and "whsec_" not in listed
    edit = console.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "whsec_" not in edit and 'value="https://hooks.example/in"' in edit


def test_a_bad_endpoint_form_is_refused_whole_with_its_field_errors(console):
    for url, events, message in (
        ("https://user:pw@hooks.example/in", ["consent.changed"], "without credentials or a fragment"),
        ("ftp://hooks.example/in", ["consent.changed"], "An http or https URL with a host,"),
        ("https://hooks.example/in", [], "<strong>event_types</strong>"),
        ("https://hooks.example/in", ["consent.changed", "no.such_event"], "Must be one of"),
        ("", ["consent.changed"], "<strong>url</strong>"),
    ):
        page = _add(console, url=url, events=events)
        assert page.status_code == 422, url
        html = page.get_data(as_text=True)
        assert message in html, (url, events)
        assert 'id="form-errors"' in html
        if url:
            assert f'value="{url}"' in html  # what was typed is there to fix
    assert _endpoints() == []
    assert [e.action for e in _entries()] == ["sign_in"]


def test_private_targets_are_refused_as_the_api_refuses_them(app_with, make_key):
    guarded = app_with(webhook_allow_private_targets=False)
    with guarded.app_context():
        client = guarded.test_client()
        sign_in(client, make_key("admin", name="ops"))
        token = csrf_of(client.get("/admin/webhooks"))
        page = client.post("/admin/webhooks", data={"csrf_token": token, "url": "http://127.0.0.1:9000/hook",
                                                    "event_types": ["consent.changed"]})
        assert page.status_code == 422
        html = page.get_data(as_text=True)
        assert "Only public addresses may receive webhooks" in html
        assert "Only public addresses: not loopback, private or link-local ones." in html  # said before it is tried
        assert client.post("/admin/webhooks", data={"csrf_token": token, "url": "http://localhost/hook",
                                                    "event_types": ["consent.changed"]}).status_code == 422
        assert _endpoints() == []


def test_forms_without_the_session_token_change_nothing(console):
    assert console.post("/admin/webhooks", data={"url": "https://hooks.example/in",
                                                 "event_types": ["consent.changed"]}).status_code == 403
    _add(console)
    (endpoint,) = _endpoints()
    for path, data in ((f"/admin/webhooks/{endpoint.id}", {"url": "https://other.example/", "event_types": ["notice.published"]}),
                       (f"/admin/webhooks/{endpoint.id}/enabled", {"enabled": "off"}),
                       (f"/admin/webhooks/{endpoint.id}/delete", {})):
        assert console.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    (kept,) = _endpoints()
    assert (kept.url, kept.event_types, kept.enabled) == ("https://hooks.example/in", ["consent.changed", "subject.erased"], True)
    assert [e.action for e in _entries()] == ["sign_in", "webhook_created"]


def test_changing_an_endpoint_keeps_its_secret_and_audits_what_changed(console, clock):
    _add(console)
    (endpoint,) = _endpoints()
    secret = endpoint.secret_encrypted
    clock.advance(minutes=5)
    page = console.post(f"/admin/webhooks/{endpoint.id}", data={
        "csrf_token": console.csrf, "url": "https://hooks.example/v2", "event_types": ["notice.published"],
        "description": "CRM"})
    assert page.status_code == 200 and "Saved." in page.get_data(as_text=True)
    (changed,) = _endpoints()
    assert (changed.url, changed.event_types, changed.secret_encrypted) == ("https://hooks.example/v2", ["notice.published"], secret)
    assert changed.updated_at == clock()
    entry = _entries()[-1]
    assert (entry.action, entry.target) == ("webhook_updated", endpoint.id)
    assert entry.details == {"url": "https://hooks.example/v2", "event_types": ["notice.published"]}
    refused = console.post(f"/admin/webhooks/{endpoint.id}", data={
        "csrf_token": console.csrf, "url": "https://hooks.example/v3#part", "event_types": ["consent.changed"]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "without credentials or a fragment" in html and 'value="https://hooks.example/v3#part"' in html
    (kept,) = _endpoints()
    assert (kept.url, kept.event_types) == ("https://hooks.example/v2", ["notice.published"])
    assert [e.action for e in _entries()].count("webhook_updated") == 1
    assert console.get("/admin/webhooks/wh_nope").status_code == 404


def test_a_disabled_endpoint_gets_no_new_events_until_enabled(console, clock):
    _add(console, events=("consent.changed",))
    (endpoint,) = _endpoints()
    page = console.post(f"/admin/webhooks/{endpoint.id}/enabled", data={"csrf_token": console.csrf, "enabled": "off"})
    assert page.status_code == 200 and "is disabled" in page.get_data(as_text=True)
    assert _endpoints()[0].enabled is False
    record(at=clock(), subject="v-1", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=None)
    assert db.session.scalars(select(WebhookDelivery)).all() == []
    console.post(f"/admin/webhooks/{endpoint.id}/enabled", data={"csrf_token": console.csrf, "enabled": "on"})
    assert _endpoints()[0].enabled is True
    record(at=clock(), subject="v-2", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=None)
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 1
    assert [(e.action, e.target) for e in _entries()][-2:] == [("webhook_disabled", endpoint.id), ("webhook_enabled", endpoint.id)]
    assert console.post(f"/admin/webhooks/{endpoint.id}/enabled", data={"csrf_token": console.csrf,
                                                                        "enabled": "maybe"}).status_code == 422


def test_deleting_an_endpoint_removes_it_and_its_deliveries(console, clock):
    _add(console, events=("consent.changed",))
    (endpoint,) = _endpoints()
    record(at=clock(), subject="v-1", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=None)
    page = console.post(f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": console.csrf})
    assert page.status_code == 200 and "Deleted https://hooks.example/in" in page.get_data(as_text=True)
    assert _endpoints() == [] and db.session.scalars(select(WebhookDelivery)).all() == []
    entry = _entries()[-1]
    assert (entry.action, entry.target, entry.details["url"]) == ("webhook_deleted", endpoint.id, "https://hooks.example/in")
    assert console.post(f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": console.csrf}).status_code == 404
    assert [e.action for e in _entries()].count("webhook_deleted") == 1
