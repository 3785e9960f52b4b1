"""Host names as the scanner compares them."""

from __future__ import annotations

import pytest

from consent_service.scanner import hosts


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (".Example.com", "example.com"),
        ("cdn.example.com:8443", "cdn.example.com"),
        ("[::1]:8080", "::1"),
        ("::1", "::1"),
        ("127.0.0.1:5000", "127.0.0.1"),
        ("example.com.", "example.com"),
    ],
)
def test_normalize(value, host):
    assert hosts.normalize(value) == host


def test_of_origin():
    assert hosts.of_origin("https://Shop.example:8443") == "shop.example"
    assert hosts.of_origin("not an origin") == ""


@pytest.mark.parametrize(
    ("domain", "host", "covered"),
    [
        ("example.com", "example.com", True),
        ("example.com", "www.example.com", True),
        ("example.com", "badexample.com", False),
        ("www.example.com", "example.com", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("0.0.1", "127.0.0.1", False),
        ("", "example.com", False),
    ],
)
def test_covers_on_whole_labels_and_an_ip_only_itself(domain, host, covered):
    assert hosts.covers(domain, host) is covered


def test_parents_longest_first_and_none_for_an_ip():
    assert hosts.parents("a.b.com") == ["a.b.com", "b.com", "com"]
    assert hosts.parents("10.0.0.1") == []


@pytest.mark.parametrize(
    ("netloc", "endpoint"),
    [
        ("consent.example.net", ("consent.example.net", None)),
        ("Consent.Example.net:443", ("consent.example.net", None)),
        ("consent.example.net:80", ("consent.example.net", None)),
        ("127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("[::1]:8080", ("::1", 8080)),
        ("host:notaport", ("host", -1)),
    ],
)
def test_endpoint_tells_ports_apart_but_not_the_default_ones(netloc, endpoint):
    assert hosts.endpoint(netloc) == endpoint
