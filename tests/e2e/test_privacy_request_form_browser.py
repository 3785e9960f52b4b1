"""The public privacy request form in a real headless Chromium against a real gunicorn, at a phone's size: no
script, no overflow, errors summarized and focused, then filed."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language, sent", [("de", "Sehen Sie in Ihren Nachrichten nach"), ("fr", "Consultez vos messages")])
def test_file_a_request_on_a_phone(live_server, browser, screenshot, language, sent):
    seeded = live_server.flask("demo", "seed").stdout
    key = re.search(r"Demo property: (pk_[A-Za-z0-9_\-]+)", seeded).group(1)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True,
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        response = page.goto(f"{live_server.url}/privacy-requests/{key}?lang={language}")
        assert response.status == 200 and page.get_attribute("html", "lang") == language
        # The stylesheet loaded under the page's CSP, and nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderTopLeftRadius") != "0px"
        screenshot(page, f"privacy-request-form-{language}")

        page.locator("#type-deletion").check()
        page.locator("form.card button[type=submit]").click()  # no identifier, nowhere to live
        page.wait_for_selector(".error-summary")
        summary = page.locator(".error-summary a")
        assert summary.count() == 2
        assert page.locator("#identifier").get_attribute("aria-invalid") == "true"
        assert page.locator("#type-deletion").is_checked()  # what was chosen stays
        screenshot(page, f"privacy-request-errors-{language}")

        page.locator("#identifier").fill("C-4711")  # webhook mode (no SMTP_URL): the operator's customer id
        page.locator("#jurisdiction").select_option("DE")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_selector(f"h1:has-text('{sent}')")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
