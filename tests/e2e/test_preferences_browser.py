"""The preference page in a real headless Chromium against a real gunicorn; one-click as a mail provider sends it."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e

NOTICE = "2026-01-01"
PHONE = {"width": 390, "height": 844}
TEXTS = {
    "en": ("Choose what we send you", "Marketing communications", "Save preferences", "Your preferences are saved"),
    "de": ("Wählen Sie, was wir Ihnen senden", "Marketing-Mitteilungen", "Einstellungen speichern", "Ihre Einstellungen sind gespeichert"),
    "fr": ("Choisissez ce que nous vous envoyons", "Communications marketing", "Enregistrer mes préférences", "Vos préférences sont enregistrées"),
}


def api(live_server, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {live_server.key}"}
    return requests.request(method, live_server.url + path, headers=headers, timeout=10, **kwargs)


def granted_customer(live_server, customer_id: str) -> None:
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": NOTICE, "country": "DE"}
    assert api(live_server, "POST", f"/v1/subjects/customer/{customer_id}/consent-events", json=body).status_code == 201


def preference_links(live_server, customer_id: str, language: str) -> dict:
    response = api(live_server, "POST", "/v1/preference-links", json={"customer_id": customer_id, "language": language})
    assert response.status_code == 200, response.text
    return response.json()


def check(live_server, customer_id: str) -> dict:
    body = {"subject": {"kind": "customer", "id": customer_id}, "purposes": ["marketing", "service_notices"]}
    response = api(live_server, "POST", "/v1/checks", json=body)
    assert response.status_code == 200, response.text
    return response.json()["decisions"]


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_switch_marketing_off_on_the_page_and_the_check_says_denied(live_server, browser, screenshot, language):
    customer = f"c-e2e-{language}"
    granted_customer(live_server, customer)
    links = preference_links(live_server, customer, language)
    title, marketing, save, saved = TEXTS[language]
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    console_errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        response = page.goto(links["url"])
        assert response.status == 200
        assert page.get_attribute("html", "lang") == language
        assert page.inner_text("h1") == title
        # The stylesheet loaded under the page's CSP, and nothing overflows a phone's width.
        assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderTopLeftRadius") != "0px"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        toggle = page.get_by_role("switch", name=marketing)
        assert toggle.is_checked()
        notices = page.locator("#purpose-service_notices")
        assert notices.is_checked() and notices.is_disabled()
        screenshot(page, f"preferences-{language}")

        toggle.click()
        assert not toggle.is_checked()
        page.get_by_role("button", name=save).click()
        page.wait_for_selector(f"h1:has-text('{saved}')")
        screenshot(page, f"preferences-saved-{language}")
        assert console_errors == []  # no CSP violation, no failed resource
    finally:
        context.close()

    decisions = check(live_server, customer)
    assert decisions["marketing"] == {"allowed": False, "reason": "denied", "basis": None, "rule": "event"}
    assert decisions["service_notices"] == {"allowed": True, "reason": "not_refusable", "basis": "contract",
                                            "rule": "catalogue.refusable"}


def test_the_page_works_with_the_keyboard_alone(live_server, browser):
    granted_customer(live_server, "c-keys")
    links = preference_links(live_server, "c-keys", "en")
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(links["url"])
        for _ in range(10):
            if page.evaluate("document.activeElement.id") == "purpose-marketing":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Space")
        page.keyboard.press("Tab")  # service notices are disabled: focus moves to the button
        assert page.evaluate("document.activeElement.type") == "submit"
        page.keyboard.press("Enter")
        page.wait_for_selector("h1:has-text('Your preferences are saved')")
    finally:
        context.close()
    assert check(live_server, "c-keys")["marketing"] == {"allowed": False, "reason": "denied", "basis": None, "rule": "event"}


def test_one_click_unsubscribe_as_curl_sends_it(live_server):
    granted_customer(live_server, "c-curl")
    links = preference_links(live_server, "c-curl", "en")
    assert links["headers"] == {
        "List-Unsubscribe": f"<{links['one_click_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }

    # Mail scanners follow links: a GET shows a page and changes nothing.
    scanned = requests.get(links["one_click_url"], timeout=10)
    assert scanned.status_code == 200 and "text/html" in scanned.headers["Content-Type"]
    assert check(live_server, "c-curl")["marketing"] == {"allowed": True, "reason": "granted", "basis": "consent", "rule": "event"}

    # curl -X POST -d 'List-Unsubscribe=One-Click' <one_click_url>
    clicked = requests.post(
        links["one_click_url"], data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10,
    )
    assert clicked.status_code == 200
    assert check(live_server, "c-curl")["marketing"] == {"allowed": False, "reason": "denied", "basis": None, "rule": "event"}
    assert requests.post(links["one_click_url"], data={"List-Unsubscribe": "One-Click"}, timeout=10).status_code == 200

    events = api(live_server, "GET", "/v1/subjects/customer/c-curl/consent-events?purpose=marketing").json()["events"]
    assert [e["method"] for e in events] == ["one_click_unsubscribe", "written"]
