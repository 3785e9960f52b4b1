"""Console pages and actions: dashboard numbers, property texts and preview, notices, subjects, webhooks, audit."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from consent_service.audit.models import AuditEntry
from consent_service.banner.models import BannerVersion
from consent_service.extensions import db
from consent_service.properties.models import Property
from consent_service.reports import service as reports
from consent_service.reports.service import GroupBy, Interval
from consent_service.vocabulary import Method
from consent_service.webhooks.models import WebhookDelivery
from tests.console.conftest import record

ROW = re.compile(r'<tr data-period="([^"]+)" data-group="([^"]*)" data-purpose="([^"]+)">(.*?)</tr>', re.S)
CHOICE_ROW = re.compile(r'<tr data-period="([^"]+)" data-group="([^"]*)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td data-field="(\w+)">([^<]*)</td>')


def _entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _rows(html: str) -> dict[tuple, dict[str, str]]:
    return {(p, g, purpose): dict(CELL.findall(cells)) for p, g, purpose, cells in ROW.findall(html)}


def _seed(clock, prop) -> None:
    start = clock()
    for day in range(10):
        at = start - timedelta(days=day)
        record(at=at, subject=f"v-a{day}", choices={"analytics": True, "advertising": True}, method=Method.BANNER_ACCEPT_ALL,
               property_key=prop.publishable_key)
        record(at=at, subject=f"v-r{day}", choices={"analytics": False, "advertising": False}, method=Method.BANNER_REJECT_ALL,
               property_key=prop.publishable_key, country="FR", language="fr")
        if day % 3 == 0:
            record(at=at, subject=f"v-c{day}", choices={"analytics": True, "advertising": False}, method=Method.BANNER_CUSTOM,
                   property_key=prop.publishable_key, country="US")


def test_the_dashboard_shows_the_reports_numbers(console, clock, prop):
    _seed(clock, prop)
    today = clock().date()
    for interval, group_by in ((Interval.DAY, None), (Interval.WEEK, GroupBy.COUNTRY), (Interval.MONTH, GroupBy.METHOD)):
        query = {"from": (today - timedelta(days=13)).isoformat(), "to": today.isoformat(), "interval": interval.value,
                 "group_by": group_by.value if group_by else "", "property": prop.publishable_key}
        page = console.get("/admin/dashboard", query_string=query)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        expected = reports.recompute(session=db.session, start=today - timedelta(days=13), end=today, interval=interval,
                                     group_by=group_by, property_key=prop.publishable_key)
        assert expected == reports.consent_rates(session=db.session, start=today - timedelta(days=13), end=today,
                                                 interval=interval, group_by=group_by, property_key=prop.publishable_key)
        shown = _rows(html)
        assert len(shown) == len(expected.rates) > 0
        for rate in expected.rates:
            cells = shown[(rate.period_start.isoformat(), rate.group or "", rate.purpose)]
            assert (int(cells["granted"]), int(cells["denied"]), int(cells["withdrawn"])) == (rate.granted, rate.denied, rate.withdrawn)
            assert cells["rate"] == f"{rate.opt_in_rate * 100:.1f} %"
        choices = {(p, g): dict(CELL.findall(cells)) for p, g, cells in CHOICE_ROW.findall(html)}
        assert len(choices) == len(expected.choices)
        for split in expected.choices:
            cells = choices[(split.period_start.isoformat(), split.group or "")]
            assert [int(cells[k]) for k in ("accept_all", "reject_all", "custom", "total")] == [
                split.accept_all, split.reject_all, split.custom, split.total]
        assert '<svg viewBox="0 0 720 280" role="img"' in html and "<path d=\"M" in html
    # 10 accept-all and 4 custom grants of analytics against 10 reject-all denials: 14 of 24.
    assert re.search(r'data-purpose="analytics">\s*<span class="tile-label">analytics</span>\s*<span class="tile-value" data-field="rate">58.3 %', html)


def test_bad_dashboard_controls_are_named_and_fall_back(console):
    page = console.get("/admin/dashboard", query_string={"from": "2026-13-01", "interval": "hour", "property": "pk_nope"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert all(field in html for field in ("<strong>from</strong>", "<strong>interval</strong>", "<strong>property</strong>"))
    longest = console.get("/admin/dashboard", query_string={"from": "2020-01-01", "to": "2026-01-15"})
    assert longest.status_code == 422 and "At most 400 days" in longest.get_data(as_text=True)


def test_editing_origins_and_texts_saves_only_what_differs_and_is_audited(console, prop):
    page = console.post(f"/admin/properties/{prop.id}", data={
        "csrf_token": console.csrf, "language": "de", "allowed_origins": "https://shop.example\nhttps://Blog.Example:8443/",
        "ui.title": "Ihre Wahl", "ui.accept_all": "Alle akzeptieren", "purposes.analytics.name": "",
    })
    assert page.status_code == 200 and "Saved." in page.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Property, prop.id)
    assert stored.allowed_origins == ["https://blog.example:8443", "https://shop.example"]
    # "Alle akzeptieren" is the built-in German text and the emptied field falls back: neither is stored.
    assert stored.texts == {"de": {"ui": {"title": "Ihre Wahl"}}}
    entry = _entries()[-1]
    assert (entry.action, entry.target, entry.details["language"]) == ("property_updated", prop.id, "de")
    assert entry.actor.startswith("ops (sk_")


def test_a_bad_property_form_changes_nothing(console, prop):
    page = console.post(f"/admin/properties/{prop.id}", data={
        "csrf_token": console.csrf, "language": "en", "allowed_origins": "https://shop.example/with/path",
        "ui.title": "x" * 2001,
    })
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "allowed_origins.0" in html and "texts.en.ui.title" in html
    assert "https://shop.example/with/path" in html  # what was typed is still there to fix
    db.session.expire_all()
    stored = db.session.get(Property, prop.id)
    assert stored.allowed_origins == ["https://shop.example"] and stored.texts == {}
    assert [e.action for e in _entries()] == ["sign_in"]


def test_a_property_form_without_origins_is_refused_as_the_api_refuses_it(console, prop):
    page = console.post(f"/admin/properties/{prop.id}", data={
        "csrf_token": console.csrf, "language": "en", "allowed_origins": " \n\n", "ui.title": "Kept?",
    })
    assert page.status_code == 422
    assert "Between 1 and 50 origins, such as https://shop.example." in page.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Property, prop.id)
    assert stored.allowed_origins == ["https://shop.example"] and stored.texts == {}
    assert [e.action for e in _entries()] == ["sign_in"]


def test_the_preview_is_the_banner_config_with_the_draft_texts_and_records_nothing(console, prop):
    versions = db.session.scalar(select(func.count()).select_from(BannerVersion))
    page = console.get(f"/admin/properties/{prop.id}/preview",
                       query_string={"language": "fr", "ui.title": "Brouillon </script><b>", "purposes.analytics.name": "Mesure"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="cs-preview-config">(.*?)</script>', html, re.S).group(1))
    assert config["texts"]["title"] == "Brouillon </script><b>" and config["language"] == "fr"
    assert next(p for p in config["purposes"] if p["key"] == "analytics")["name"] == "Mesure"
    assert config["texts"]["accept_all"] == "Tout accepter"
    nonce = re.search(r'<script src="/consent.js" data-preview="cs-preview-config" nonce="([^"]+)"', html).group(1)
    policy = page.headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" in policy and "frame-ancestors 'self'" in policy and "script-src 'self';" in policy
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    db.session.expire_all()
    assert db.session.get(Property, prop.id).texts == {}
    assert db.session.scalar(select(func.count()).select_from(BannerVersion)) == versions
    bad = console.get(f"/admin/properties/{prop.id}/preview", query_string={"ui.title": "x" * 2001})
    assert "cs-preview-config" not in bad.get_data(as_text=True) and "texts.en.ui.title" in bad.get_data(as_text=True)


def test_publishing_a_material_notice_shows_its_purposes_and_the_reconsent_count(console, clock, prop):
    record(at=clock(), subject="v-1", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=prop.publishable_key)
    record(at=clock(), subject="v-2", choices={"analytics": True, "advertising": True}, method=Method.BANNER_ACCEPT_ALL,
           property_key=prop.publishable_key)
    clock.advance(minutes=10)
    page = console.post("/admin/notices", data={
        "csrf_token": console.csrf, "property": prop.publishable_key, "kind": "cookie", "version": "2026-02-01",
        "material": "on", "purposes": ["analytics", "advertising"], "url": "https://shop.example/privacy-v2",
    })
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<strong id="reconsent-count">3</strong>' in html
    assert re.findall(r'<li data-purpose="(\w+)">', html) == ["advertising", "analytics"]
    entry = _entries()[-1]
    assert (entry.action, entry.details["awaiting_reconsent"], entry.details["material"]) == ("notice_published", 3, True)
    again = console.post("/admin/notices", data={
        "csrf_token": console.csrf, "property": prop.publishable_key, "kind": "cookie", "version": "2026-02-01",
        "purposes": ["analytics"], "url": "not a url"})
    assert again.status_code == 422 and "<strong>url</strong>" in again.get_data(as_text=True)
    assert [e.action for e in _entries()].count("notice_published") == 1


def test_subject_lookup_export_and_confirmed_erasure(console, clock, prop):
    record(at=clock(), subject="v-42", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=prop.publishable_key)
    page = console.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-42"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'<tr data-purpose="analytics"><td>analytics</td><td data-field="decision">granted</td>', html)
    assert html.count("<tr data-event=") == 1
    exported = console.post("/admin/subjects/export", data={"csrf_token": console.csrf, "kind": "visitor", "id": "v-42"})
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="subject-visitor-v-42.json"'
    document = exported.get_json()
    assert document["subject"]["id"] == "v-42" and len(document["events"]) == 1
    unconfirmed = console.post("/admin/subjects/erase", data={"csrf_token": console.csrf, "kind": "visitor", "id": "v-42",
                                                              "confirm": "v-4"})
    assert unconfirmed.status_code == 422 and "Type the subject&#39;s id exactly" in unconfirmed.get_data(as_text=True)
    assert console.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-42"}).get_data(as_text=True).count("<tr data-event=") == 1
    erased = console.post("/admin/subjects/erase", data={"csrf_token": console.csrf, "kind": "visitor", "id": "v-42",
                                                         "confirm": "v-42"})
    assert erased.status_code == 200 and "Erased" in erased.get_data(as_text=True)
    actions = [(e.action, e.target) for e in _entries()]
    assert actions[1] == ("subject_exported", "visitor:v-42")
    assert actions[2][0] == "subject_erased" and "v-42" not in actions[2][1]  # the log keeps no erased identifier
    assert "v-42" not in json.dumps([e.details for e in _entries()])


def test_export_and_erasure_need_their_scopes_on_the_admin_key(app, make_key, clock, prop):
    from tests.console.conftest import csrf_of, sign_in

    record(at=clock(), subject="v-7", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=prop.publishable_key)
    client = app.test_client()
    sign_in(client, make_key("admin"))
    page = client.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-7"})
    assert "This key lacks the subjects:export scope." in page.get_data(as_text=True)
    token = csrf_of(page)
    assert client.post("/admin/subjects/export", data={"csrf_token": token, "kind": "visitor", "id": "v-7"}).status_code == 403
    assert client.post("/admin/subjects/erase", data={"csrf_token": token, "kind": "visitor", "id": "v-7",
                                                      "confirm": "v-7"}).status_code == 403
    assert [e.action for e in _entries()] == ["sign_in"]


def test_webhook_failures_can_be_replayed(console, clock):
    from consent_service.webhooks import service as webhooks
    from consent_service.webhooks.signing import SecretCipher
    from consent_service.runtime import runtime

    webhooks.create_endpoint(session=db.session, url="https://hooks.example/in", event_types=["consent.changed"],
                             cipher=SecretCipher(runtime().settings.key_encryption_keys), allow_private=True, now=clock())
    record(at=clock(), subject="v-9", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=None)
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    delivery.status, delivery.attempts, delivery.last_error = "failed", 7, "connection refused"
    db.session.commit()
    page = console.get("/admin/webhooks")
    html = page.get_data(as_text=True)
    assert "https://hooks.example/in" in html and html.count(f'data-delivery="{delivery.id}"') == 2  # failures and recent
    assert "connection refused" in html
    replayed = console.post("/admin/webhooks/replay", data={"csrf_token": console.csrf, "delivery": delivery.id})
    assert replayed.status_code == 200 and "1 deliveries queued again." in replayed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, (delivery.id, delivery.event_created_at)).status == "pending"
    assert (_entries()[-1].action, _entries()[-1].target) == ("webhooks_replayed", delivery.id)
    unknown = console.post("/admin/webhooks/replay", data={"csrf_token": console.csrf, "delivery": "dlv_nope"})
    assert unknown.status_code == 404
    assert [e.action for e in _entries()].count("webhooks_replayed") == 1


def test_the_audit_page_lists_who_did_what_when(console, prop):
    console.post(f"/admin/properties/{prop.id}", data={"csrf_token": console.csrf, "language": "en",
                                                       "allowed_origins": "https://shop.example"})
    html = console.get("/admin/audit").get_data(as_text=True)
    assert re.findall(r'<tr data-action="(\w+)"', html) == ["property_updated", "sign_in"]
    assert "2026-01-15 09:30:00 UTC" in html and "ops (sk_" in html


def test_pages_have_one_h1_and_every_input_a_label(console, prop):
    for path in ("/admin/dashboard", f"/admin/properties/{prop.id}", "/admin/notices", "/admin/subjects?kind=visitor&id=v-1",
                 "/admin/webhooks", "/admin/audit", "/admin/properties"):
        html = console.get(path).get_data(as_text=True)
        assert html.count("<h1") == 1, path
        ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        unlabelled = [i for i in ids if i not in labelled]
        assert not unlabelled, (path, unlabelled)
        assert 'href="#main"' in html and 'aria-current="page"' in html


def test_month_periods_begin_on_the_first(console, clock, prop):
    record(at=clock(), subject="v-1", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=prop.publishable_key)
    html = console.get("/admin/dashboard", query_string={"from": "2025-12-20", "to": "2026-01-31", "interval": "month"}).get_data(as_text=True)
    assert set(p for p, _, _ in _rows(html)) == {date(2026, 1, 1).isoformat()}
