"""Console sign-in, session cookies, expiry, revocation, CSRF: every page needs a session, every form its token."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_service.apikeys import service as apikeys
from consent_service.audit.models import AuditEntry
from consent_service.console.models import ConsoleSessionRecord
from consent_service.extensions import db
from consent_service.notices.models import Notice
from consent_service.properties.models import Property
from tests.console.conftest import csrf_of, sign_in

CONSOLE = "console."


def _set_cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_an_admin_key_opens_a_session_in_a_locked_down_cookie(client, admin_key):
    answer = sign_in(client, admin_key)
    assert answer.status_code == 302 and answer.location == "/admin/dashboard"
    cookie = _set_cookie(answer, "cs_admin")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Max-Age=1800" in cookie and "Secure" not in cookie  # plain http here; https below
    assert admin_key not in cookie and admin_key not in answer.get_data(as_text=True)
    page = client.get("/admin/dashboard")
    assert page.status_code == 200
    assert "Signed in as ops (sk_" in page.get_data(as_text=True)
    assert db.session.scalars(select(AuditEntry.action)).all() == ["sign_in"]


def test_over_https_the_cookie_is_secure(app, admin_key):
    client = app.test_client()
    token = csrf_of(client.get("/admin/sign-in", base_url="https://consent.test"))
    answer = client.post("/admin/sign-in", data={"key": admin_key, "csrf_token": token}, base_url="https://consent.test")
    assert "Secure" in _set_cookie(answer, "cs_admin")


@pytest.mark.parametrize("kind", ["wrong", "malformed", "not_admin"])
def test_bad_and_non_admin_keys_get_no_session(client, make_key, admin_key, kind):
    presented = {
        "wrong": admin_key[:-8] + "AAAAAAAA",
        "malformed": "not-a-key",
        "not_admin": make_key("consents:read", "consents:write"),
    }[kind]
    answer = sign_in(client, presented)
    assert answer.status_code == (403 if kind == "not_admin" else 401)
    assert not any(h.startswith("cs_admin=") for h in answer.headers.getlist("Set-Cookie"))
    assert presented not in answer.get_data(as_text=True)
    assert client.get("/admin/dashboard").status_code == 302
    assert _audit_count() == 0


def test_failed_sign_ins_are_rate_limited_but_the_right_key_signs_in(app_with, make_key):
    app = app_with(auth_failure_rate_limit="2/minute")
    client = app.test_client()
    statuses = [sign_in(client, "sk_wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    with app.app_context():
        admin = make_key("admin")
    assert sign_in(client, admin).status_code == 302  # only failures are limited: the right key signs in
    assert sign_in(app.test_client(), "sk_wrong").status_code == 429  # and guessing stays slow


def test_the_sign_in_form_needs_its_token_and_a_same_origin_browser(client, admin_key):
    client.get("/admin/sign-in")
    assert client.post("/admin/sign-in", data={"key": admin_key}).status_code == 403
    token = csrf_of(client.get("/admin/sign-in"))
    cross = client.post("/admin/sign-in", data={"key": admin_key, "csrf_token": token},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert client.get("/admin/dashboard").status_code == 302


def test_a_session_expires_on_the_clock(console, clock):
    clock.advance(seconds=1799)
    assert console.get("/admin/dashboard").status_code == 200
    clock.advance(seconds=1)
    page = console.get("/admin/dashboard")
    assert page.status_code == 302
    assert page.location.startswith("/admin/sign-in?reason=session_expired")
    assert console.post("/admin/sign-out", data={"csrf_token": console.csrf}).status_code == 403


def test_a_revoked_key_stops_its_session_on_the_next_request(console, clock):
    assert console.get("/admin/audit").status_code == 200
    prefix = db.session.scalars(select(AuditEntry.actor)).one().split("(")[1].rstrip(")")
    apikeys.revoke_key(session=db.session, prefix=prefix, now=clock())
    db.session.commit()
    page = console.get("/admin/audit")
    assert page.status_code == 302 and "reason=session_revoked" in page.location
    assert console.post("/admin/notices", data={"csrf_token": console.csrf, "kind": "cookie", "version": "v9",
                                                "url": "https://shop.example/p"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_a_tampered_cookie_is_no_session(client, console):
    cookie = client.get_cookie("cs_admin", path="/admin")
    client.set_cookie("cs_admin", cookie.value[:-2] + "xx", path="/admin")
    assert client.get("/admin/dashboard").status_code == 302


def _console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(CONSOLE) and rule.endpoint != "console.sign_in":
            yield rule


def _url(rule, prop) -> str:
    return rule.build({name: prop.id for name in rule.arguments}, append_unknown=False)[1]


def test_without_a_session_every_page_redirects_to_sign_in_and_every_form_is_refused(app, client, prop, make_key):
    before = (prop.texts, list(prop.allowed_origins))
    gets = posts = 0
    bearer = {"Authorization": f"Bearer {make_key('admin')}"}  # an API key is not a console session
    for rule in _console_rules(app):
        url = _url(rule, prop)
        if "GET" in rule.methods:
            for headers in ({}, bearer):
                answer = client.get(url, headers=headers)
                assert answer.status_code == 302, url
                assert answer.location.startswith("/admin/sign-in?reason=session_required"), url
            gets += 1
        if "POST" in rule.methods:
            form = {"csrf_token": "x", "kind": "cookie", "version": "v2", "url": "https://shop.example/p",
                    "language": "en", "allowed_origins": "https://evil.example", "ui.title": "Hacked",
                    "id": "c-1", "confirm": "c-1", "failed": "on"}
            for headers in ({}, bearer):
                answer = client.post(url, data=form, headers=headers)
                assert answer.status_code == 403, url
            posts += 1
    assert gets >= 9 and posts >= 6
    db.session.expire_all()
    stored = db.session.get(Property, prop.id)
    assert (stored.texts, stored.allowed_origins) == before
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert _audit_count() == 0


@pytest.mark.parametrize("token", ["missing", "wrong", "other_session"])
def test_a_form_without_this_sessions_token_is_refused_and_changes_nothing(app, console, prop, make_key, token):
    data = {"kind": "cookie", "version": "v2", "url": "https://shop.example/p2", "material": "on", "purposes": "analytics"}
    if token == "wrong":
        data["csrf_token"] = console.csrf[:-3] + "abc"
    if token == "other_session":
        other = app.test_client()
        sign_in(other, make_key("admin"))
        data["csrf_token"] = csrf_of(other.get("/admin/audit"))
    assert console.post("/admin/notices", data=data).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert db.session.scalars(select(AuditEntry.action)).all().count("notice_published") == 0


def test_a_form_from_another_site_is_refused_even_with_the_token(console):
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = console.post("/admin/notices", headers=headers, data={
            "csrf_token": console.csrf, "kind": "cookie", "version": "v2", "url": "https://shop.example/p2"})
        assert answer.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_sign_out_ends_the_session(console):
    answer = console.post("/admin/sign-out", data={"csrf_token": console.csrf})
    assert answer.status_code == 302
    assert "Max-Age=0" in _set_cookie(answer, "cs_admin")
    assert console.get("/admin/dashboard").status_code == 302
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == ["sign_in", "sign_out"]


def _replay(app, cookie: str):
    """A second browser holding a copy of the cookie (captured from the first)."""
    thief = app.test_client()
    thief.set_cookie("cs_admin", cookie, path="/admin")
    return thief


def test_a_cookie_copied_before_sign_out_is_no_session_after_it(app, console):
    captured = console.get_cookie("cs_admin", path="/admin").value
    assert _replay(app, captured).get("/admin/dashboard").status_code == 200
    assert console.post("/admin/sign-out", data={"csrf_token": console.csrf}).status_code == 302
    thief = _replay(app, captured)
    page = thief.get("/admin/dashboard")
    assert page.status_code == 302 and "reason=session_ended" in page.location
    thief.set_cookie("cs_admin", captured, path="/admin")
    form = thief.post("/admin/notices", data={"csrf_token": console.csrf, "kind": "cookie", "version": "v9",
                                               "url": "https://shop.example/p"})
    assert form.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == ["sign_in", "sign_out"]


def test_signing_out_ends_only_that_session(app, console, admin_key):
    other = app.test_client()
    assert sign_in(other, admin_key).status_code == 302
    console.post("/admin/sign-out", data={"csrf_token": console.csrf})
    assert console.get("/admin/dashboard").status_code == 302
    assert other.get("/admin/dashboard").status_code == 200


def test_a_key_revoked_by_another_instance_ends_all_its_sessions(app, app_with, console, admin_key, clock):
    second = app.test_client()
    sign_in(second, admin_key)
    prefix = db.session.scalars(select(AuditEntry.actor)).first().split("(")[1].rstrip(")")
    with app_with().app_context():  # another instance on the same database
        apikeys.revoke_key(session=db.session, prefix=prefix, now=clock())
        db.session.commit()
    for client in (console, second):
        page = client.get("/admin/dashboard")
        assert page.status_code == 302 and "reason=session_revoked" in page.location


def test_sessions_past_their_time_are_cleared_at_the_next_sign_in(app, client, admin_key, clock):
    sign_in(client, admin_key)
    clock.advance(seconds=1800)
    sign_in(app.test_client(), admin_key)
    assert db.session.scalar(select(func.count()).select_from(ConsoleSessionRecord)) == 1


def test_pages_carry_a_strict_policy_and_no_inline_script(console, prop):
    for path in ("/admin/dashboard", "/admin/properties", f"/admin/properties/{prop.id}", "/admin/notices",
                 "/admin/subjects", "/admin/webhooks", "/admin/audit", "/admin/sign-in"):
        page = console.get(path)
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
        html = page.get_data(as_text=True)
        assert "<script>" not in html and "<script src=" in html
        assert " style=" not in html
