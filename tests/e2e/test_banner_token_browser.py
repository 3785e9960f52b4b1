"""The stored consent token in a real Chromium against a real gunicorn (issue 24): a record that
does not verify is no consent, a valid one needs no extra request, a rotation costs one JWKS fetch."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

pytestmark = pytest.mark.e2e

BANNER = "#cs-banner"
RAN = "() => ({analytics: window.__analyticsRan || 0, inline: !!window.__inlineRan, iframe: document.querySelector('iframe[data-consent]').getAttribute('src')})"
NOTHING_RAN = {"analytics": 0, "inline": False, "iframe": None}
ALL_RAN = "window.__analyticsRan === 1 && window.__inlineRan === true"
NO_ED25519 = """
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
    (algorithm && (algorithm.name || algorithm) === 'Ed25519')
      ? Promise.reject(new DOMException('Ed25519 is not supported', 'NotSupportedError'))
      : importKey(format, key, algorithm, ...rest);
"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def decode(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-US")
    yield context
    context.close()


def stored_token(context) -> tuple[dict, str]:
    cookie = next(c for c in context.cookies() if c["name"] == "consent_token")
    version, _, token = cookie["value"].partition(".")
    assert version == "1"
    return cookie, token


def store(context, cookie: dict, token: str) -> None:
    """Rewrites the consent cookie in place (as a script on the page, or a visitor by hand, could)."""
    context.add_cookies([{**cookie, "value": "1." + token}])


def choose(context, demo_page, action: str):
    page = context.new_page()
    page.goto(demo_page)
    page.wait_for_selector(BANNER, state="visible")
    page.click(f"[data-cs-action={action}]")
    page.wait_for_function("window.ConsentService.getToken() !== null")
    return page


def assert_no_consent(page) -> None:
    """After a reload: the banner asks, nothing blocked runs, consent mode stays denied, no token."""
    page.wait_for_selector(BANNER, state="visible")
    page.wait_for_timeout(300)  # time for anything that would wrongly activate
    assert page.evaluate(RAN) == NOTHING_RAN
    assert page.evaluate("window.ConsentService.getToken()") is None
    assert page.evaluate("['analytics', 'advertising', 'preferences'].some((p) => window.ConsentService.has(p))") is False
    updates = page.evaluate("window.dataLayer.filter((e) => e[0] === 'consent' && e[1] === 'update').length")
    assert updates == 0


def flipped(token: str, **purposes: bool) -> str:
    header, payload, signature = token.split(".")
    claims = decode(payload)
    return f"{header}.{segment({**claims, 'purposes': {**claims['purposes'], **purposes}})}.{signature}"


def forgeries(token: str, other_property_token: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    claims = decode(payload)
    granted = {**claims, "purposes": {key: True for key in claims["purposes"]}}
    kid = decode(header)["kid"]
    return {
        "payload flipped, signature kept": flipped(token, advertising=True, analytics=True, preferences=True),
        "alg none": f"{segment({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{segment(granted)}.{signature}",
        "signed by another key": jwt.encode(granted, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                            headers={"kid": kid, "typ": "JWT"}),
        "a valid record of another property": other_property_token,
    }


def other_property_token(live_server) -> str:
    """A valid token, signed by the service, for a visitor of another property that granted everything."""
    key = live_server.flask("properties", "create", "--name", "Other shop", "--origin", "https://other.example",
                            "--notice-version", "1", "--notice-url", "https://other.example/privacy",
                            "--purpose", "necessary", "--purpose", "analytics", "--purpose", "advertising",
                            "--purpose", "preferences").stdout.strip()
    config = requests.get(f"{live_server.url}/v1/banner/{key}", timeout=10).json()
    answer = requests.post(f"{live_server.url}/v1/banner/{key}/consents", timeout=10, json={
        "choices": {p["key"]: True for p in config["purposes"] if p["refusable"]}, "method": "banner_accept_all",
        "notice_version": config["notice"]["version"], "banner_version": config["banner_version"],
    })
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


@pytest.mark.parametrize("start", ["accept-all", "reject-all"])
def test_a_rewritten_payload_is_no_consent_and_the_banner_asks(context, demo_page, start):
    page = choose(context, demo_page, start)
    cookie, token = stored_token(context)
    grants = start == "reject-all"  # accept-all: a purpose withdrawn; reject-all: everything granted
    store(context, cookie, flipped(token, analytics=grants, advertising=grants, preferences=grants))
    page.reload()
    assert_no_consent(page)


def test_forged_and_foreign_records_are_no_consent_and_never_sent_back(context, demo_page, live_server):
    page = choose(context, demo_page, "reject-all")
    cookie, token = stored_token(context)
    for name, forged in forgeries(token, other_property_token(live_server)).items():
        store(context, cookie, forged)
        posted = []
        page.on("request", lambda r: posted.append(r.post_data) if r.method == "POST" else None)
        page.reload()
        assert_no_consent(page)
        page.click("[data-cs-action=reject-all]")
        page.wait_for_function("window.ConsentService.getToken() !== null")
        assert posted and all(forged not in (body or "") for body in posted), name
        cookie, token = stored_token(context)  # the new choice's record, for the next forgery


@pytest.fixture
def signing_key(live_server):
    """A service that has signed before: the first token of a fresh install creates the first key,
    which a configuration served before it (and cached by the browser for 5 minutes) cannot list."""
    live_server.flask("signing-keys", "rotate")


def test_a_valid_record_unblocks_on_reload_with_no_extra_request(signing_key, context, demo_page):
    page = choose(context, demo_page, "accept-all")
    page.wait_for_function(ALL_RAN)
    property_key = page.get_attribute("script[data-property]", "data-property")
    seen: list[tuple[str, str]] = []
    page.on("request", lambda r: seen.append((r.method, urlsplit(r.url).path)))
    page.reload()
    page.wait_for_function(ALL_RAN)
    assert not page.is_visible(BANNER)
    page.wait_for_timeout(200)
    service_calls = [(method, path) for method, path in seen if path.startswith(("/v1/", "/.well-known/"))]
    assert service_calls == [("GET", f"/v1/banner/{property_key}")], seen
    # What the page loaded before this change too: the page, the script, the config, the unblocked tags.
    assert {path for _, path in seen} <= {"/demo", "/consent.js", f"/v1/banner/{property_key}", "/demo/analytics.js",
                                          "/demo/embed"}, seen


@pytest.fixture
def short_key_cache(monkeypatch):
    """Workers sign with a rotated key at once (live_server passes the environment on)."""
    monkeypatch.setenv("SIGNING_KEY_CACHE_SECONDS", "0")


def test_after_a_rotation_a_record_signed_by_the_new_key_verifies_after_one_jwks_fetch(
    short_key_cache, context, demo_page, live_server
):
    page = choose(context, demo_page, "reject-all")  # the config (and its keys) are now cached
    old_kid = decode(stored_token(context)[1].split(".")[0])["kid"]
    live_server.flask("signing-keys", "rotate")
    page.click("[data-consent-open]")
    page.click("[data-cs-action=accept-all]")
    page.wait_for_function(ALL_RAN)
    _, token = stored_token(context)
    assert decode(token.split(".")[0])["kid"] != old_kid, "the new choice is signed by the new key"
    seen: list[str] = []
    page.on("request", lambda r: seen.append(urlsplit(r.url).path))
    page.reload()
    page.wait_for_function(ALL_RAN)
    assert not page.is_visible(BANNER)
    assert seen.count("/.well-known/jwks.json") <= 1, seen
    page.reload()  # and from now on the kept keys know it
    page.wait_for_function(ALL_RAN)
    assert seen.count("/.well-known/jwks.json") <= 1, seen


def test_without_ed25519_the_service_verifies_and_a_forgery_is_still_refused(browser, demo_page):
    context = browser.new_context(locale="en-US")
    context.add_init_script(NO_ED25519)
    try:
        page = choose(context, demo_page, "accept-all")
        page.wait_for_function(ALL_RAN)
        seen: list[tuple[str, str]] = []
        page.on("request", lambda r: seen.append((r.method, urlsplit(r.url).path)))
        page.reload()
        page.wait_for_function(ALL_RAN)
        assert [p for m, p in seen if m == "POST"] == [p for m, p in seen if p.endswith("/verify") and m == "POST"]
        assert any(p.endswith("/verify") for _, p in seen), seen
        cookie, token = stored_token(context)
        store(context, cookie, flipped(token, analytics=False))
        page.reload()
        assert_no_consent(page)
    finally:
        context.close()
