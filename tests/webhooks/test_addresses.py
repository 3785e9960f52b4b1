"""Production refuses webhook targets in every special-purpose range, embedded IPv4 included.

Nothing here connects anywhere: the classifier is a pure function, and sending is stopped by a
resolver that answers from a table and a socket layer that fails the test if it is ever used."""
from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.webhooks import transport
from consent_service.webhooks.addresses import SPECIAL_RANGES, refusal
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint


def teredo(server: str, client: str) -> str:
    """A Teredo address (RFC 4380): the server's IPv4 address, and the client's stored inverted."""
    value = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
    return str(ipaddress.IPv6Address(value | (~int(ipaddress.IPv4Address(client)) & 0xFFFFFFFF)))


# (address, may receive webhooks): each range's edges, and the neighbours just outside them.
CASES = [
    ("0.0.0.0", False), ("0.255.255.255", False), ("1.0.0.0", True),
    ("9.255.255.255", True), ("10.0.0.0", False), ("10.255.255.255", False), ("11.0.0.0", True),
    ("100.63.255.255", True), ("100.64.0.0", False), ("100.127.255.255", False), ("100.128.0.0", True),
    ("126.255.255.255", True), ("127.0.0.1", False), ("127.255.255.255", False), ("128.0.0.0", True),
    ("169.253.255.255", True), ("169.254.169.254", False), ("169.255.0.0", True),
    ("172.15.255.255", True), ("172.16.0.0", False), ("172.31.255.255", False), ("172.32.0.0", True),
    ("191.255.255.255", True), ("192.0.0.0", False), ("192.0.0.7", False), ("192.0.0.8", False),
    ("192.0.0.9", True), ("192.0.0.10", True), ("192.0.0.11", False), ("192.0.0.170", False),
    ("192.0.0.171", False), ("192.0.0.255", False), ("192.0.1.0", True),
    ("192.0.1.255", True), ("192.0.2.0", False), ("192.0.2.255", False), ("192.0.3.0", True),
    ("192.31.196.1", True), ("192.52.193.1", True), ("192.175.48.1", True),
    ("192.88.98.255", True), ("192.88.99.1", False), ("192.88.100.0", True),
    ("192.167.255.255", True), ("192.168.0.1", False), ("192.168.255.255", False), ("192.169.0.0", True),
    ("198.17.255.255", True), ("198.18.0.0", False), ("198.19.255.255", False), ("198.20.0.0", True),
    ("198.51.99.255", True), ("198.51.100.1", False), ("198.51.101.0", True),
    ("203.0.112.255", True), ("203.0.113.1", False), ("203.0.114.0", True),
    ("223.255.255.255", True), ("224.0.0.1", False), ("239.255.255.255", False), ("240.0.0.1", False),
    ("255.255.255.254", False), ("255.255.255.255", False), ("8.8.8.8", True), ("93.184.216.34", True),
    # IPv6: loopback, unspecified, and the deprecated IPv4-compatible ::/96 (::7f00:1 is ::127.0.0.1).
    ("::", False), ("::1", False), ("::2", False), ("::7f00:1", False), ("::808:808", False), ("::1:0:0", False),
    # IPv4-mapped: judged by the IPv4 address.
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("::ffff:192.0.0.8", False), ("::ffff:8.8.8.8", True),
    # NAT64 (well-known prefix judged by its IPv4 address; the local-use prefix refused whole).
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::7f00:1", False), ("64:ff9b::808:808", True),
    ("64:ff9b::1:0:0", False), ("64:ff9b:1::808:808", False), ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", False),
    ("100::1", False), ("100::ffff:ffff:ffff:ffff", False), ("100:0:0:1::1", False),
    # Teredo: both embedded addresses must be public.
    (teredo("65.54.227.120", "8.8.8.8"), True), (teredo("65.54.227.120", "127.0.0.1"), False),
    (teredo("10.0.0.1", "8.8.8.8"), False), (teredo("65.54.227.120", "169.254.169.254"), False),
    ("2001:1::1", True), ("2001:1::2", True), ("2001:1::3", True), ("2001:1::4", False),
    ("2001:2::1", False), ("2001:3::1", True), ("2001:4:112::1", True), ("2001:4:113::1", False),
    ("2001:10::1", False), ("2001:20::1", True), ("2001:30::1", True), ("2001:1ff:ffff::1", False),
    ("2001:200::1", True), ("2001:db7:ffff::1", True), ("2001:db8::1", False), ("2001:db9::1", True),
    # 6to4: judged by the IPv4 address in bits 16 to 47.
    ("2002:a9fe:a9fe::1", False), ("2002:7f00:1::1", False), ("2002:c000:208::1", False), ("2002:808:808::1", True),
    ("2620:4f:8000::1", True), ("2620:4f:7fff::1", True),
    ("3ffe:ffff::1", True), ("3fff::1", False), ("3fff:fff:ffff::1", False), ("3fff:1000::1", True),
    ("4000::1", False), ("5f00::1", False), ("5f01::1", False),
    ("fbff::1", False), ("fc00::1", False), ("fdff::1", False), ("fe80::1", False), ("febf::1", False),
    ("fec0::1", False), ("feff::1", False), ("ff02::1", False), ("ff0e::1", False),
    ("2a00:1450:4001::1", True), ("2606:4700::1111", True), ("fe80::1%eth0", False),
]


@pytest.mark.parametrize("address,allowed", CASES)
def test_the_classifier_follows_the_special_purpose_registries(address, allowed):
    reason = refusal(address)
    assert (reason is None) == allowed, reason


def test_every_range_of_the_table_is_tried_from_inside():
    tried = [ipaddress.ip_address(address.split("%")[0]) for address, _ in CASES]
    for entry in SPECIAL_RANGES:
        assert any(address.version == entry.network.version and address in entry.network for address in tried), entry


@pytest.mark.parametrize("address", ["192.0.0.8", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "fec0::1"])
def test_a_refusal_names_the_range_and_its_rfc(address):
    assert "RFC " in refusal(address)


# The review's examples, and addresses written in the forms the resolver reads as numbers.
REFUSED_URLS = [
    "http://192.0.0.8/x", "http://[::7f00:1]/x", "http://[64:ff9b::a9fe:a9fe]/x", "http://[2002:a9fe:a9fe::1]/x",
    "http://[fec0::1]/x", "http://[64:ff9b:1::a00:1]/x", f"http://[{teredo('65.54.227.120', '127.0.0.1')}]/x",
    "http://2130706433/x", "http://0x7f.1/x", "http://127.1/x", "http://[fe80::1%25eth0]/x",
    "http://[::ffff:7f00:1]/x", "https://100.64.0.1:8443/x",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_registration_refuses_special_purpose_literals_in_production(url):
    with pytest.raises(transport.TargetRefused):
        transport.check_url(url, allow_private=False)
    assert transport.check_url(url, allow_private=True) == url  # development keeps local receivers


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test if anything opens a connection; `connects` records attempts."""
    connects: list = []

    def refuse(*args, **kwargs):
        connects.append(args)
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return connects


def resolving_to(monkeypatch, address: str) -> list[str]:
    """Every name resolves to `address` (no DNS server is asked); returns the names looked up."""
    looked_up: list[str] = []
    numeric_only = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            return numeric_only(host, port, *args, **kwargs)  # parses a literal, asks no DNS server
        looked_up.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port or 0)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


@pytest.mark.parametrize("address", ["192.0.0.8", "::7f00:1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "fec0::1",
                                     "169.254.169.254", "::ffff:10.0.0.1"])
def test_sending_refuses_a_name_resolving_to_a_special_address_before_connecting(monkeypatch, no_connections, address):
    looked_up = resolving_to(monkeypatch, address)
    # A name passes registration (it is resolved when sending, where the address is checked).
    assert transport.check_url("https://hooks.example.test/x", allow_private=False)
    with pytest.raises(transport.TargetRefused):
        transport.post(url="https://hooks.example.test/x", body=b"{}", headers={}, timeout=1, allow_private=False)
    assert looked_up == ["hooks.example.test"] and no_connections == []


def test_the_worker_records_the_refusal_and_never_connects(monkeypatch, no_connections, make_endpoint, make_worker,
                                                           record):
    make_endpoint("https://hooks.example.test/consent")
    assert record("c-1").status_code == 201
    resolving_to(monkeypatch, "64:ff9b::a9fe:a9fe")
    worker = make_worker(allow_private=False)
    assert worker.run_batch() == 1
    db.session.expire_all()
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status != "delivered" and delivery.last_status_code is None
    assert "may not receive webhooks" in delivery.last_error
    assert no_connections == []


def test_the_api_refuses_the_reviews_addresses_in_production(app_with, make_key):
    production_like = app_with(webhook_allow_private_targets=False)
    client = production_like.test_client()
    with production_like.app_context():
        headers = {"Authorization": f"Bearer {make_key('admin')}"}
    for url in REFUSED_URLS[:5]:
        response = client.post("/v1/webhooks", json={"url": url, "event_types": ["consent.changed"]}, headers=headers)
        assert response.status_code == 422 and "url" in response.json["errors"], response.json
    with production_like.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
