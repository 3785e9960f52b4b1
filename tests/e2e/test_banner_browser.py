"""The banner in a real headless Chromium against a real gunicorn: blocking, choices, i18n, GPC."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e

BANNER = "#cs-banner"
RAN = "() => ({analytics: window.__analyticsRan || 0, inline: !!window.__inlineRan, iframe: document.querySelector('iframe[data-consent]').getAttribute('src')})"
GPC_ON = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-US")
    yield context
    context.close()


def saved(page) -> None:
    """Wait until the choice is stored: the banner hides at once, the token arrives with the answer."""
    page.wait_for_function("window.ConsentService.getToken() !== null")


def open_demo(context, demo_page, lang=None):
    page = context.new_page()
    page.goto(demo_page + (f"?lang={lang}" if lang else ""))
    page.wait_for_selector(BANNER, state="visible")
    return page


def test_reject_all_runs_nothing_and_is_remembered(context, demo_page, screenshot):
    page = open_demo(context, demo_page)
    screenshot(page, "banner-en")
    assert page.get_attribute(BANNER, "role") == "dialog"
    page.click("[data-cs-action=reject-all]")
    page.wait_for_selector(BANNER, state="hidden")
    saved(page)
    assert page.evaluate(RAN) == {"analytics": 0, "inline": False, "iframe": None}
    assert page.evaluate("window.ConsentService.has('analytics')") is False
    page.reload()
    page.wait_for_timeout(500)
    assert not page.is_visible(BANNER)
    assert page.evaluate(RAN) == {"analytics": 0, "inline": False, "iframe": None}


def test_accept_all_runs_every_blocked_tag_without_a_reload(context, demo_page):
    page = open_demo(context, demo_page)
    page.evaluate("window.__marker = 'same page'")
    page.click("[data-cs-action=accept-all]")
    page.wait_for_function("window.__analyticsRan === 1 && window.__inlineRan === true")
    assert page.evaluate("window.__marker") == "same page"
    assert page.evaluate(RAN)["iframe"] == "/demo/embed"
    assert page.frame_locator("iframe[data-consent]").locator("#video").is_visible()
    token = page.evaluate("window.ConsentService.getToken()")
    cookie = next(c for c in context.cookies() if c["name"] == "consent_token")
    assert token in cookie["value"] and cookie["sameSite"] == "Lax"


def test_custom_choice_runs_exactly_the_allowed_tags_and_survives_a_reload(context, demo_page):
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=settings]")
    boxes = page.locator("input[name=cs-purpose]:not([disabled])")
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [False, False, False]  # opt-in: none ticked
    page.check("input[name=cs-purpose][value=analytics]")
    page.click("[data-cs-action=save]")
    page.wait_for_function("window.__analyticsRan === 1")
    saved(page)
    assert page.evaluate(RAN) == {"analytics": 1, "inline": False, "iframe": None}
    page.reload()
    page.wait_for_function("window.__analyticsRan === 1")
    assert not page.is_visible(BANNER)
    assert page.evaluate(RAN) == {"analytics": 1, "inline": False, "iframe": None}
    assert page.evaluate("window.ConsentService.has('preferences')") is False


def test_the_whole_flow_works_with_the_keyboard_alone(context, demo_page):
    page = open_demo(context, demo_page)
    page.wait_for_function(f"document.querySelector('{BANNER}').contains(document.activeElement)")
    for _ in range(10):  # Tab until "Settings" has focus, then operate it with the keyboard
        if page.evaluate("document.activeElement.dataset.csAction") == "settings":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=cs-purpose][value=analytics]", state="visible")
    page.focus("input[name=cs-purpose][value=analytics]")
    page.keyboard.press("Space")
    for _ in range(10):
        if page.evaluate("document.activeElement.dataset.csAction") == "save":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("window.__analyticsRan === 1")
    assert page.evaluate(RAN) == {"analytics": 1, "inline": False, "iframe": None}


@pytest.mark.parametrize(("locale", "accept", "reject"), [("de-DE", "Alle akzeptieren", "Alle ablehnen"), ("fr-FR", "Tout accepter", "Tout refuser")])
def test_german_and_french_browsers_get_their_language(browser, demo_page, screenshot, locale, accept, reject):
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(demo_page)
        page.wait_for_selector(BANNER, state="visible")
        assert page.inner_text("[data-cs-action=accept-all]") == accept
        assert page.inner_text("[data-cs-action=reject-all]") == reject
        screenshot(page, f"banner-{locale[:2]}")
    finally:
        context.close()


def test_gpc_keeps_advertising_off_on_accept_all(browser, demo_page):
    context = browser.new_context(locale="en-US", extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_ON)
    try:
        page = context.new_page()
        page.goto(demo_page)
        page.wait_for_selector(BANNER, state="visible")
        assert page.inner_text("#cs-gpc strong") == "Opt-out request honored"  # CCPA Regs. 7025(c)(6)
        page.click("[data-cs-action=accept-all]")
        page.wait_for_function("window.__analyticsRan === 1")
        assert page.evaluate("window.ConsentService.has('advertising')") is False
        assert page.evaluate(RAN)["iframe"] is None
    finally:
        context.close()


def test_consent_mode_default_comes_before_any_tag_and_update_after_the_choice(context, demo_page):
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=accept-all]")
    page.wait_for_function("window.__analyticsRan === 1")
    layer = page.evaluate(
        "window.dataLayer.map(e => e && e.event ? {event: e.event} : Array.from(e))"
    )
    commands = [(i, e) for i, e in enumerate(layer) if isinstance(e, list) and e[:1] == ["consent"]]
    default_index, default = commands[0]
    assert default[1] == "default"
    assert all(value == "denied" for key, value in default[2].items() if key.endswith("_storage") and key != "security_storage")
    assert default[2]["ad_user_data"] == default[2]["ad_personalization"] == "denied"
    update_index, update = next((i, e) for i, e in commands if e[1] == "update")
    tag_index = layer.index({"event": "demo_analytics_loaded"})
    assert default_index < update_index < tag_index
    assert update[2]["analytics_storage"] == "granted" and update[2]["ad_storage"] == "granted"


def test_placeholder_loads_the_blocked_video_granting_only_its_purpose(context, demo_page):
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=reject-all]")
    saved(page)
    page.click(".cs-ph [data-cs-action=load-content]")
    page.wait_for_function("document.querySelector('iframe[data-consent]').getAttribute('src') === '/demo/embed'")
    page.wait_for_function("window.ConsentService.has('advertising') === true")
    assert page.evaluate("window.ConsentService.has('analytics')") is False
    assert page.evaluate(RAN)["analytics"] == 0


def test_fails_closed_when_the_service_is_unreachable(context, demo_page):
    page = context.new_page()
    page.route("**/v1/banner/**", lambda route: route.abort())
    page.goto(demo_page)
    page.wait_for_timeout(1000)
    assert not page.is_visible(BANNER)
    assert page.evaluate(RAN) == {"analytics": 0, "inline": False, "iframe": None}
    assert page.evaluate("window.ConsentService.has('analytics')") is False


def test_the_banner_asks_again_after_a_notice_change_and_reopens_on_demand(context, demo_page, live_server):
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=accept-all]")
    saved(page)
    page.click("[data-consent-open]")  # any element with data-consent-open reopens the settings
    page.wait_for_selector(f"{BANNER}[data-view=settings]", state="visible")
    assert page.is_checked("input[name=cs-purpose][value=analytics]")

    admin = {"Authorization": f"Bearer {live_server.flask('keys', 'create', '--name', 'ops', '--scope', 'admin').stdout.strip()}"}
    properties = requests.get(f"{live_server.url}/v1/properties", headers=admin, timeout=10).json()["properties"]
    demo = next(p for p in properties if p["name"] == "Demo shop")
    patched = requests.patch(
        f"{live_server.url}/v1/properties/{demo['id']}", json={"notice_version": "2026-06-01"}, headers=admin, timeout=10
    )
    assert patched.status_code == 200
    fresh = context.new_page()  # a new page load after the config's cache lifetime
    fresh.route("**/v1/banner/**", lambda route: route.continue_(headers={**route.request.headers, "cache-control": "no-cache"}))
    fresh.goto(demo_page)
    fresh.wait_for_selector(BANNER, state="visible")


def test_settings_lists_the_declared_cookies_under_their_purpose(browser, demo_page, live_server, screenshot):
    admin = {"Authorization": f"Bearer {live_server.flask('keys', 'create', '--name', 'ops', '--scope', 'admin').stdout.strip()}"}
    properties = requests.get(f"{live_server.url}/v1/properties", headers=admin, timeout=10).json()["properties"]
    demo = next(p for p in properties if p["name"] == "Demo shop")
    declared = requests.post(f"{live_server.url}/v1/properties/{demo['id']}/cookie-declarations", headers=admin, timeout=10,
                             json={"name_pattern": "_ga_*", "purpose": "analytics", "retention": "2 years",
                                   "description": {"en": "Counts visits.", "de": "Zählt Besuche."}})
    assert declared.status_code == 201, declared.text
    context = browser.new_context(locale="de-DE")
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=settings]")
    row = page.locator(".cs-p", has=page.locator("input[value=analytics]"))
    row.locator("details summary").click()
    assert row.locator("details p").inner_text() == "_ga_* (2 years): Zählt Besuche."
    assert row.locator("details summary").inner_text() == "Verwendete Cookies (1)"
    assert page.locator(".cs-p details").count() == 1  # the other purposes declare nothing
    screenshot(page, "banner-settings-declared-cookies")
    context.close()


def test_the_close_button_keeps_its_contrast_on_hover(context, demo_page):
    """`#cs-banner button:hover` once outranked the close button's own colours: #1a1a1a on #333 (1.3:1)."""
    page = open_demo(context, demo_page)
    page.click("[data-cs-action=reject-all]")
    saved(page)
    page.evaluate("window.ConsentService.show()")
    close = page.locator("#cs-banner .cs-x")
    close.hover()
    colours = close.evaluate("(b) => { const s = getComputedStyle(b); return [s.color, s.backgroundColor]; }")
    assert colours == ["rgb(26, 26, 26)", "rgb(255, 255, 255)"]
