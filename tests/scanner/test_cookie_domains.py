"""A declared cookie domain: the one pattern the document publishes is the set normalize_domain accepts."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from consent_service.patterns import IPV6_ADDRESS
from consent_service.scanner import service as scanner
from consent_service.scanner.schemas import DeclarationPatchSchema

ACCEPTED = [
    ("example.com", "example.com"),
    ("Example.COM", "example.com"),
    (".example.com", "example.com"),  # a Domain attribute's leading dot
    ("example.com.", "example.com"),  # a fully qualified name
    (".shop.example.", "shop.example"),
    ("localhost", "localhost"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("a-b.c-d.example", "a-b.c-d.example"),
    ("a" * 63 + ".example", "a" * 63 + ".example"),
    (".".join(["a" * 63] * 3) + "." + "b" * 61, ".".join(["a" * 63] * 3) + "." + "b" * 61),  # 253 characters
    ("192.0.2.1", "192.0.2.1"),
    (".192.0.2.1", "192.0.2.1"),
    ("010.0.0.1", "010.0.0.1"),  # not an address (a leading zero): a name of digits, as a browser may see it
    ("999.1.1.1", "999.1.1.1"),
    ("2001:DB8::1", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("[::1]", "::1"),
    ("::", "::"),
    ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
    ("0001:0:0:0:0:0:0:1", "1::1"),
    ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ("1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:6:c000:201"),
    ("", None),
    (None, None),
]
REFUSED = [
    " example.com", "example.com ", " ", "exa mple.com", "http://example.com", "example.com/x", "example.com:8080",
    "user@example.com", "-a.example", "a-.example", "a..b", "..example.com", "example.com..", ".", "a_b.example",
    "a" * 64 + ".example", ".".join(["a" * 63] * 4),  # a label of 64, a name of 255
    "bücher.example", "[192.0.2.1]", "[::1", "::1]", "[[::1]]", ".::1", "::1.", ".[::1]", "[::1]:443",
    "fe80::1%eth0", "[fe80::1%25eth0]",  # a zone names an interface of one machine: no cookie is set on it
    ":::", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6::7:8", "12345::", "::g", "1::2::3", "::1.2.3.04",
    "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4",
]


@pytest.mark.parametrize("given_domain, normalized", ACCEPTED)
def test_a_domain_of_the_pattern_is_stored_normalized(given_domain, normalized):
    assert scanner.normalize_domain(given_domain) == normalized


@pytest.mark.parametrize("given_domain", REFUSED)
def test_a_domain_outside_the_pattern_is_refused(given_domain):
    with pytest.raises(ValueError):
        scanner.normalize_domain(given_domain)


def service_accepts(value: str) -> bool:
    try:
        scanner.normalize_domain(value)
    except ValueError:
        return False
    return True


def schema_accepts(value: str) -> bool:
    return "domain" not in DeclarationPatchSchema().validate({"domain": value})


def document_accepts(document_field: dict, value: str) -> bool:
    """What a JSON Schema validator reads in the published field: its pattern (searched) and its maxLength."""
    return len(value) <= document_field["maxLength"] and re.search(document_field["pattern"], value) is not None


def test_the_document_the_schema_and_the_service_agree_on_every_example(client):
    field = client.get("/openapi.json").json["components"]["schemas"]["DeclarationPatch"]["properties"]["domain"]
    for value in [given_domain for given_domain, _ in ACCEPTED if given_domain is not None] + REFUSED:
        expected = value in {given_domain for given_domain, _ in ACCEPTED}
        assert service_accepts(value) is expected, value
        assert schema_accepts(value) is expected, value
        assert document_accepts(field, value) is expected, value


# Strings made of what hosts and addresses are made of, and a few things they are not.
HOSTISH = st.text(alphabet="0123456789abcdefABCDEFxyz-.:[]% _/", max_size=60)


@settings(max_examples=3000, deadline=None)
@given(HOSTISH)
@example("1" * 254)
def test_the_schema_and_the_service_agree_on_any_string(value):
    assert schema_accepts(value) is service_accepts(value), value


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45))
@example("::ffff:1.2.3.4")
@example("1:2:3:4:5:6::7:8")
def test_the_ipv6_pattern_is_what_ipaddress_reads(value):
    try:
        ipaddress.IPv6Address(value)
        parsed = True
    except ValueError:
        parsed = False
    assert (re.fullmatch(IPV6_ADDRESS, value) is not None) is parsed, value


@settings(max_examples=500, deadline=None)
@given(st.ip_addresses(v=6).map(lambda address: address.exploded) | st.ip_addresses(v=6).map(str))
def test_every_ipv6_address_is_accepted_bare_and_in_brackets(address):
    expected = ipaddress.IPv6Address(address).compressed
    assert scanner.normalize_domain(address) == scanner.normalize_domain(f"[{address.upper()}]") == expected
