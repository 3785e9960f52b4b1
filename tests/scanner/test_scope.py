"""The scanner's scope (which URLs it may navigate to) and sites (registrable domains), without a browser."""
from __future__ import annotations

import pytest

from consent_service.errors import ValidationFailed
from consent_service.scanner.scope import Scope, origin_of, site_of


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.example.com", "example.com"),
        ("Shop.Example.COM.", "example.com"),
        ("example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),  # a public suffix is its own site
        ("someone.github.io", "someone.github.io"),  # the list's private section counts, as in browsers
        ("localhost", "localhost"),
        ("127.0.0.2", "127.0.0.2"),  # an IP address is its own site, not "0.2"
        ("[::1]", "::1"),
        ("2001:DB8::1", "2001:db8::1"),
    ],
)
def test_site_of(host, site):
    assert site_of(host) == site


def test_origin_writes_the_default_port_and_lowercases():
    assert origin_of("HTTPS://Shop.Example.com/a?b#c") == "https://shop.example.com:443"
    assert origin_of("http://127.0.0.2:8080/") == "http://127.0.0.2:8080"
    assert origin_of("http://[::1]:81/") == "http://[::1]:81"
    assert origin_of("ftp://example.com/") is None
    assert origin_of("http://example.com:port/") is None


def test_only_the_start_origins_and_the_extra_ones_are_in_scope():
    scope = Scope.of(["https://shop.example.com/", "http://127.0.0.2:8000/start"], ["https://help.example.com"])
    assert scope.refusal("https://shop.example.com/about?x=1") is None
    assert scope.refusal("https://SHOP.example.com:443/") is None
    assert scope.refusal("https://help.example.com/faq") is None
    assert scope.refusal("http://127.0.0.2:8000/other") is None
    # The same site on another host, port or scheme is still not an address the operator gave.
    assert "outside the scope" in scope.refusal("https://www.example.com/")
    assert "outside the scope" in scope.refusal("http://shop.example.com/")
    assert "outside the scope" in scope.refusal("http://127.0.0.2:8001/")
    assert "outside the scope" in scope.refusal("http://127.0.0.3:8000/")
    assert "outside the scope" in scope.refusal("https://tracker.test/pixel.gif")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "mailto:a@example.com", "file:///etc/passwd", "data:text/html,hi", "ftp://shop.example.com/", "/about", ""]
)
def test_what_is_not_http_is_refused(url):
    assert Scope.of(["https://shop.example.com/"]).refusal(url).startswith("not an http(s) URL")


def test_a_scope_needs_http_start_urls_and_origins():
    with pytest.raises(ValidationFailed) as raised:
        Scope.of(["https://shop.example.com/", "file:///etc/passwd"], ["javascript:x"])
    assert set(raised.value.errors) == {"start_urls", "extra_origins"}
    with pytest.raises(ValidationFailed):
        Scope.of([])
