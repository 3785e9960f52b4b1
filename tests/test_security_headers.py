"""The header sets security_headers builds from each kind of page's needs, byte for byte as they are sent."""
from __future__ import annotations

from consent_service import security_headers as sh


def test_each_kind_of_page_gets_its_policy():
    assert sh.content_security_policy(sh.STRICT_PAGE) == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
    assert sh.content_security_policy(sh.PAGE_OWN_SCRIPTS) == "frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
    assert sh.content_security_policy(sh.PREFERENCE_PAGE) == (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    assert sh.content_security_policy(sh.CONSOLE_PAGE) == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
    assert sh.content_security_policy(sh.CONSOLE_PREVIEW, nonce="n0nce") == (
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-n0nce'; img-src 'self' data:; "
        "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")


def test_framing_and_the_extra_headers_follow_the_needs():
    assert sh.headers_for(sh.CONSOLE_PREVIEW, nonce="n")["X-Frame-Options"] == "SAMEORIGIN"
    console = sh.headers_for(sh.CONSOLE_PAGE)
    assert (console["X-Frame-Options"], console["Referrer-Policy"], console["Cache-Control"]) == ("DENY", "same-origin",
                                                                                                  "no-store")
    assert sh.headers_for(sh.PREFERENCE_PAGE)["Referrer-Policy"] == "no-referrer"

