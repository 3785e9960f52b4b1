"""The preference page, one-click unsubscribe and double opt-in through the Flask test client."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from consent_service import create_app
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.purposes import service as purposes
from tests.conftest import settings_for

NOTICE = "2026-01-01"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@pytest.fixture
def writer(auth):
    return auth("consents:read", "consents:write")


@pytest.fixture
def links(client, writer):
    """links(customer, **body) -> the POST /v1/preference-links answer."""

    def make(customer_id="c-1", **body):
        response = client.post("/v1/preference-links", json={"customer_id": customer_id, "notice_version": NOTICE, **body}, headers=writer)
        assert response.status_code == 200, response.json
        return response.json

    return make


@pytest.fixture
def check(client, writer):
    """check(customer) -> {purpose: (allowed, reason)} for marketing and service notices."""

    def ask(customer_id="c-1", purposes=("marketing", "service_notices")):
        body = {"subject": {"kind": "customer", "id": customer_id}, "purposes": list(purposes)}
        response = client.post("/v1/checks", json=body, headers=writer)
        assert response.status_code == 200, response.json
        return {key: (d["allowed"], d["reason"]) for key, d in response.json["decisions"].items()}

    return ask


@pytest.fixture
def grant(client, writer):
    def record(customer_id="c-1", purpose="marketing", decision="granted", method="written"):
        body = {"events": [{"purpose": purpose, "decision": decision, "method": method}], "notice_version": NOTICE, "country": "DE"}
        response = client.post(f"/v1/subjects/customer/{customer_id}/consent-events", json=body, headers=writer)
        assert response.status_code == 201, response.json

    return record


def path(url: str) -> str:
    assert url.startswith("http://consent.test/")
    return urlsplit(url).path


def events() -> int:
    db.session.rollback()  # read what the requests committed, not a stale snapshot
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def ledger(client, headers, customer_id="c-1"):
    response = client.get(f"/v1/subjects/customer/{customer_id}/consent-events", headers=headers)
    return response.json["events"]


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def tampered(url: str) -> str:
    token = url.rsplit("/", 1)[1]
    middle = len(token) // 2
    return url.rsplit("/", 1)[0] + "/" + token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


# POST /v1/preference-links


def test_links_are_signed_urls_with_the_exact_email_headers(client, links, clock):
    answer = links(language="fr")
    assert path(answer["url"]).startswith("/preferences/")
    assert path(answer["one_click_url"]).startswith("/unsubscribe/")
    assert answer["headers"] == {
        "List-Unsubscribe": f"<{answer['one_click_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert answer["expires_at"] == "2026-02-14T09:30:00+00:00"  # 30 days
    assert answer["one_click_expires_at"] == "2027-02-19T09:30:00+00:00"  # 400 days


def test_links_need_the_write_scope(client, auth):
    body = {"customer_id": "c-1", "notice_version": NOTICE}
    assert client.post("/v1/preference-links", json=body).status_code == 401
    assert client.post("/v1/preference-links", json=body, headers=auth("consents:read")).status_code == 403


def test_links_take_the_notice_version_from_the_ledger_or_ask_for_one(client, writer, grant):
    response = client.post("/v1/preference-links", json={"customer_id": "c-new"}, headers=writer)
    assert response.status_code == 422
    assert response.json["code"] == "notice_version_required"
    grant("c-new")
    assert client.post("/v1/preference-links", json={"customer_id": "c-new"}, headers=writer).status_code == 200


def test_one_click_links_unsubscribe_only_from_communication_purposes(client, writer):
    body = {"customer_id": "c-1", "notice_version": NOTICE, "purposes": ["marketing", "analytics", "service_notices"]}
    response = client.post("/v1/preference-links", json=body, headers=writer)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"purposes.1", "purposes.2"}


# The page


def test_the_page_shows_marketing_as_a_toggle_and_service_notices_as_always_on(client, links, grant):
    grant()
    before = events()
    page = client.get(path(links(language="de")["url"]))
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert SECURITY_HEADERS.items() <= dict(page.headers).items()
    html = page.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Marketing-Mitteilungen" in html and "Servicemitteilungen" in html and "Immer aktiv" in html
    assert re.search(r'<input type="checkbox" role="switch" class="switch" id="purpose-marketing" name="purpose"\s+value="marketing" checked', html)
    assert re.search(r'id="purpose-service_notices" checked disabled', html)
    assert '<label for="purpose-marketing">' in html and '<label for="purpose-service_notices">' in html
    assert 'href="/static/preferences.css"' in html
    assert events() == before  # looking changes nothing


def test_the_language_comes_from_the_link_then_the_browser(client, links):
    url = path(links()["url"])
    assert '<html lang="fr">' in client.get(url, headers={"Accept-Language": "fr-CH, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="en">' in client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
    linked = path(links(language="de")["url"])
    assert '<html lang="de">' in client.get(linked, headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_an_operators_communication_purpose_appears_by_itself(client, links, session, clock):
    purposes.create_purpose(
        session=session, key="product_news", name="Product news", description="What is new in the product.",
        category="communication", legal_basis="consent", refusable=True, defaults={}, now=clock(),
    )
    session.commit()
    html = client.get(path(links()["url"])).get_data(as_text=True)
    assert 'id="purpose-product_news"' in html and "Product news" in html
    assert "analytics" not in html  # cookie purposes are the banner's, not the email's


def test_switching_marketing_off_records_one_preference_page_event(client, links, grant, check, writer):
    grant()
    assert check() == {"marketing": (True, "granted"), "service_notices": (True, "not_refusable")}
    url = path(links(language="fr")["url"])
    page = client.get(url)
    before = events()
    saved = client.post(url, data={"csrf_token": csrf(page), "shown": ["marketing"]})
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "Vos préférences sont enregistrées" in html
    assert SECURITY_HEADERS.items() <= dict(saved.headers).items()
    assert check() == {"marketing": (False, "denied"), "service_notices": (True, "not_refusable")}
    assert events() == before + 1
    latest = ledger(client, writer)[0]
    assert (latest["purpose"], latest["decision"], latest["method"]) == ("marketing", "denied", "preference_page")
    assert latest["actor"]["type"] == "subject"
    assert latest["language"] == "fr" and latest["notice_version"] == NOTICE
    # Saving the same choices again (from the page as it is now) is not a change: nothing more in the ledger.
    assert client.post(url, data={"csrf_token": csrf(client.get(url)), "shown": ["marketing"]}).status_code == 200
    assert events() == before + 1


def test_switching_marketing_on_allows_it(client, links, check):
    url = path(links()["url"])
    assert check()["marketing"] == (False, "opt_in_required")
    assert client.post(url, data={"csrf_token": csrf(client.get(url)), "shown": "marketing", "purpose": "marketing"}).status_code == 200
    assert check()["marketing"] == (True, "granted")


def test_a_purpose_the_form_did_not_show_is_left_alone(client, links, grant, check):
    grant()
    url = path(links()["url"])
    assert client.post(url, data={"csrf_token": csrf(client.get(url))}).status_code == 200
    assert check()["marketing"] == (True, "granted")


# CSRF


def test_a_form_without_the_token_or_with_another_customers_is_refused(client, links, grant, check):
    grant("c-1")
    grant("c-2")
    mine, theirs = path(links("c-1", language="de")["url"]), path(links("c-2")["url"])
    their_token = csrf(client.get(theirs))
    before = events()
    for data in ({"shown": "marketing"}, {"shown": "marketing", "csrf_token": their_token}, {"shown": "marketing", "csrf_token": "forged"}):
        refused = client.post(mine, data=data)
        assert refused.status_code == 403
        assert "Das Formular konnte nicht gesendet werden" in refused.get_data(as_text=True)
        assert SECURITY_HEADERS.items() <= dict(refused.headers).items()
    assert events() == before
    assert check("c-1")["marketing"] == (True, "granted")


def test_a_form_posted_from_another_site_is_refused(client, links, grant):
    grant()
    url = path(links()["url"])
    token = csrf(client.get(url))
    before = events()
    assert client.post(url, data={"shown": "marketing", "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert events() == before
    assert client.post(url, data={"shown": "marketing", "csrf_token": token}, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert events() == before + 1


def test_a_form_left_open_for_more_than_a_day_is_refused(client, links, grant, clock):
    grant()
    url = path(links()["url"])
    token = csrf(client.get(url))
    clock.advance(hours=24, seconds=1)
    before = events()
    assert client.post(url, data={"shown": "marketing", "csrf_token": token}).status_code == 403
    assert events() == before


def test_a_captured_form_sent_again_cannot_undo_a_later_choice(client, links, grant, check):
    """The form is bound to the revision it showed: a copy of it is refused once anything was decided since."""
    url = path(links(language="de")["url"])
    captured = {"csrf_token": csrf(client.get(url)), "shown": "marketing", "purpose": "marketing"}
    assert client.post(url, data=captured).status_code == 200  # the customer subscribes...
    assert check()["marketing"] == (True, "granted")
    later = csrf(client.get(url))
    assert client.post(url, data={"csrf_token": later, "shown": "marketing"}).status_code == 200  # ...then unsubscribes
    assert check()["marketing"] == (False, "denied")
    before = events()
    for replayed in (captured, {"csrf_token": later, "shown": "marketing", "purpose": "marketing"}):
        refused = client.post(url, data=replayed)
        assert refused.status_code == 409
        assert "Diese Seite ist veraltet" in refused.get_data(as_text=True) and "page_out_of_date" in refused.get_data(as_text=True)
        assert SECURITY_HEADERS.items() <= dict(refused.headers).items()
    assert events() == before
    assert check()["marketing"] == (False, "denied")


@pytest.mark.parametrize("later", ["api_event", "one_click"])
def test_a_form_shown_before_a_decision_made_elsewhere_is_refused(client, links, grant, check, later):
    grant()
    issued = links()
    url = path(issued["url"])
    token = csrf(client.get(url))
    if later == "api_event":
        grant(decision="denied")
    else:
        assert client.post(path(issued["one_click_url"]), data=ONE_CLICK).status_code == 200
    before = events()
    assert client.post(url, data={"csrf_token": token, "shown": "marketing", "purpose": "marketing"}).status_code == 409
    assert events() == before
    assert check()["marketing"][0] is False


def test_a_confirmation_pages_token_does_not_save_the_preference_page(client, writer, links):
    asked = client.post("/v1/subjects/customer/c-1/double-opt-in", json={"notice_version": NOTICE}, headers=writer)
    assert asked.status_code == 201, asked.json
    confirm_token = csrf(client.get(path(asked.json["confirmation_url"])))
    url = path(links()["url"])
    before = events()
    assert client.post(url, data={"csrf_token": confirm_token, "shown": "marketing"}).status_code == 409
    assert events() == before


# One-click unsubscribe (RFC 8058)


def test_one_click_post_denies_marketing_at_once_and_repeats_are_harmless(client, links, grant, check, writer):
    grant()
    url = path(links()["one_click_url"])
    before = events()
    response = client.post(url, data=ONE_CLICK)
    assert response.status_code == 200
    assert SECURITY_HEADERS.items() <= dict(response.headers).items()
    assert check() == {"marketing": (False, "denied"), "service_notices": (True, "not_refusable")}
    latest = ledger(client, writer)[0]
    assert (latest["purpose"], latest["decision"], latest["method"]) == ("marketing", "denied", "one_click_unsubscribe")
    assert events() == before + 1
    for _ in range(3):
        assert client.post(url, data=ONE_CLICK).status_code == 200
    assert events() == before + 1
    # The result page offers the full preference page for the same customer.
    manage = re.search(r'href="(http://consent\.test/preferences/[^"]+)"', response.get_data(as_text=True)).group(1)
    assert client.get(path(manage)).status_code == 200


def test_one_click_as_a_mail_provider_sends_it_multipart(client, links, grant, check):
    grant()
    response = client.post(path(links()["one_click_url"]), data=ONE_CLICK, content_type="multipart/form-data")
    assert response.status_code == 200
    assert check()["marketing"] == (False, "denied")


def test_a_get_on_the_one_click_url_only_shows_a_button(client, links, grant, check):
    grant()
    url = path(links(language="de")["one_click_url"])
    before = events()
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in html and "Abbestellen" in html
    assert f'action="{url}"' in html
    assert events() == before
    assert check()["marketing"] == (True, "granted")


def test_a_one_click_post_without_the_rfc_8058_body_changes_nothing(client, links, grant, check):
    grant()
    url = path(links()["one_click_url"])
    before = events()
    assert client.post(url).status_code == 400
    assert client.post(url, data={"List-Unsubscribe": "yes"}).status_code == 400
    assert events() == before
    assert check()["marketing"] == (True, "granted")


def test_one_click_unsubscribes_from_the_purposes_the_link_names(client, links, session, clock, check):
    purposes.create_purpose(
        session=session, key="product_news", name="Product news", description="News.",
        category="communication", legal_basis="consent", refusable=True, defaults={"opt_in": "granted", "opt_out": "granted"}, now=clock(),
    )
    session.commit()
    url = path(links(purposes=["product_news"])["one_click_url"])
    assert client.post(url, data=ONE_CLICK).status_code == 200
    assert check(purposes=("product_news",))["product_news"] == (False, "denied")


# Tampered, expired, retired


@pytest.mark.parametrize("which", ["url", "one_click_url"])
def test_a_link_with_one_changed_character_is_refused_and_changes_nothing(client, links, grant, check, which):
    grant()
    url = path(tampered(links()[which]))
    before = events()
    for response in (client.get(url), client.post(url, data=ONE_CLICK), client.post(url, data={"shown": "marketing"})):
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "This link is not valid" in response.get_data(as_text=True)
    assert events() == before
    assert check()["marketing"] == (True, "granted")


def test_an_invalid_link_answers_in_the_browsers_language(client):
    response = client.get("/preferences/not-a-link", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Ce lien n’est pas valide" in html
    assert SECURITY_HEADERS.items() <= dict(response.headers).items()


def test_an_expired_link_is_refused_in_its_own_language_and_changes_nothing(client, links, grant, check, clock):
    grant()
    answer = links(language="de")
    clock.advance(days=30, seconds=1)
    before = events()
    page = client.get(path(answer["url"]), headers={"Accept-Language": "en"})
    assert page.status_code == 410
    assert '<html lang="de">' in page.get_data(as_text=True) and "abgelaufen" in page.get_data(as_text=True)
    assert client.post(path(answer["url"]), data={"shown": "marketing"}).status_code == 410
    assert events() == before
    # The one-click link of the same email still works: it must outlive the mail.
    assert client.post(path(answer["one_click_url"]), data=ONE_CLICK).status_code == 200
    assert check()["marketing"] == (False, "denied")


def test_an_expired_one_click_link_changes_nothing(client, links, grant, check, clock):
    grant()
    url = path(links()["one_click_url"])
    clock.advance(days=400, seconds=1)
    assert client.post(url, data=ONE_CLICK).status_code == 410
    assert check()["marketing"] == (True, "granted")


def test_rotating_the_secret_keeps_links_while_the_old_one_is_a_fallback(app, client, links, grant, check, database_url, clock):
    grant()
    current = app.config["SECRET_KEY"]
    answer = links()
    rotated = _app(database_url, clock, secret_key="rotated-secret-key-long-enough-for-prod", secret_key_fallbacks=(current,))
    retired = _app(
        database_url, clock, secret_key="rotated-twice-secret-key-long-enough-for-prod",
        secret_key_fallbacks=("rotated-secret-key-long-enough-for-prod",),
    )
    try:
        before = events()
        assert retired.test_client().get(path(answer["url"])).status_code == 404
        assert retired.test_client().post(path(answer["one_click_url"]), data=ONE_CLICK).status_code == 404
        assert events() == before
        assert check()["marketing"] == (True, "granted")

        assert rotated.test_client().get(path(answer["url"])).status_code == 200
        assert rotated.test_client().post(path(answer["one_click_url"]), data=ONE_CLICK).status_code == 200
        assert check()["marketing"] == (False, "denied")
    finally:
        for built in (rotated, retired):
            with built.app_context():
                db.session.remove()
                db.engine.dispose()


def _app(database_url, clock, **settings):
    built = create_app(settings_for(database_url, **settings))
    built.config["CLOCK"] = clock
    return built


# Double opt-in


def test_double_opt_in_is_pending_until_the_link_is_used(client, writer, check, grant):
    response = client.post(
        "/v1/subjects/customer/c-9/double-opt-in",
        json={"purpose": "marketing", "notice_version": NOTICE, "language": "de", "evidence": {"reference": "signup-form"}},
        headers=writer,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["expires_at"] == "2026-01-22T09:30:00+00:00"  # 7 days
    assert body["state"]["subject"] == {"kind": "customer", "id": "c-9"}
    assert body["state"]["consents"]["marketing"]["reason"] == "pending"
    assert check("c-9")["marketing"] == (False, "pending")
    state = client.get("/v1/subjects/customer/c-9/consents", headers=writer).json
    assert (state["consents"]["marketing"]["allowed"], state["consents"]["marketing"]["reason"]) == (False, "pending")

    url = path(body["confirmation_url"])
    assert url.startswith("/confirm/")
    before = events()
    page = client.get(url)
    assert page.status_code == 200
    assert "Bestätigen Sie Ihr Abonnement" in page.get_data(as_text=True)
    assert events() == before  # a mail scanner following the link confirms nothing
    assert client.post(url).status_code == 403  # no CSRF token
    assert check("c-9")["marketing"] == (False, "pending")

    confirmed = client.post(url, data={"csrf_token": csrf(page)})
    assert confirmed.status_code == 200
    assert "Abonnement bestätigt" in confirmed.get_data(as_text=True)
    assert check("c-9")["marketing"] == (True, "granted")
    steps = ledger(client, writer, "c-9")
    assert [(e["decision"], e["method"]) for e in steps] == [("granted", "double_opt_in_confirmed"), ("granted", "double_opt_in")]
    assert steps[0]["evidence"]["reference"] == steps[1]["id"]
    assert steps[1]["evidence"]["reference"] == "signup-form"

    # Using the link again is harmless: it says so and writes nothing.
    assert client.post(url, data={"csrf_token": csrf(page)}).status_code == 200
    assert client.get(url).status_code == 200
    assert len(ledger(client, writer, "c-9")) == 2


def test_an_unconfirmed_request_expires(client, writer, check, clock):
    body = client.post("/v1/subjects/customer/c-9/double-opt-in", json={"notice_version": NOTICE}, headers=writer).json
    url = path(body["confirmation_url"])
    token = csrf(client.get(url))
    clock.advance(days=7, seconds=1)
    assert client.get(url).status_code == 410
    assert client.post(url, data={"csrf_token": token}).status_code == 410
    assert check("c-9")["marketing"] == (False, "pending")


def test_an_older_confirmation_link_cannot_confirm_a_newer_request(client, writer, check, clock):
    def request_link():
        return path(client.post("/v1/subjects/customer/c-9/double-opt-in", json={"notice_version": NOTICE}, headers=writer).json["confirmation_url"])

    old = request_link()
    token = csrf(client.get(old))
    clock.advance(minutes=5)
    new = request_link()
    before = events()
    assert client.get(old).status_code == 409
    assert client.post(old, data={"csrf_token": token}).status_code == 409
    assert events() == before
    assert check("c-9")["marketing"] == (False, "pending")
    assert client.post(new, data={"csrf_token": csrf(client.get(new))}).status_code == 200
    assert check("c-9")["marketing"] == (True, "granted")


def test_switching_off_a_pending_request_is_a_denial(client, writer, links, check):
    client.post("/v1/subjects/customer/c-9/double-opt-in", json={"notice_version": NOTICE}, headers=writer)
    url = path(links("c-9")["url"])
    page = client.get(url)
    assert "Waiting for your confirmation" in page.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf(page), "shown": "marketing"}).status_code == 200
    assert check("c-9")["marketing"] == (False, "denied")


def test_double_opt_in_is_for_refusable_communication_purposes(client, writer):
    for purpose in ("analytics", "service_notices", "nope"):
        response = client.post(
            "/v1/subjects/customer/c-9/double-opt-in", json={"purpose": purpose, "notice_version": NOTICE}, headers=writer
        )
        assert response.status_code == 422, purpose
    assert events() == 0


def test_recording_a_double_opt_in_event_returns_the_confirmation_link(client, auth):
    headers = auth("consents:read", "consents:write")
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "double_opt_in"}],
            "notice_version": "2026-01-01", "country": "DE"}
    recorded = client.post("/v1/subjects/customer/doi-1/consent-events", json=body, headers=headers).json
    assert recorded["consents"]["marketing"]["reason"] == "pending"
    url = recorded["confirmation_urls"]["marketing"]
    assert "/confirm/" in url
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200  # the confirm page; a GET confirms nothing
