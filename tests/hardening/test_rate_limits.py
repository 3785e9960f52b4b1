"""Rate limits: the banner per IP and per property, failed authentication, 429 with Retry-After and JSON."""
from __future__ import annotations

import secrets

import pytest
import redis

from consent_service.config import ConfigError
from tests.hardening.conftest import ORIGIN, make_property

ONE_IP = {"REMOTE_ADDR": "203.0.113.7"}
OTHER_IP = {"REMOTE_ADDR": "198.51.100.9"}


def banner_get(client, prop, environ):
    return client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}, environ_base=environ)


def test_one_ip_flooding_the_banner_gets_429s_while_another_ip_is_served(app_with, prop):
    client = app_with(banner_rate_limit_per_ip="50/minute").test_client()
    # 200 requests in a burst, as a client at 200 requests per second sends within one second.
    statuses = [banner_get(client, prop, ONE_IP).status_code for _ in range(200)]
    assert statuses[:50] == [200] * 50
    assert set(statuses[50:]) == {429}
    refused = banner_get(client, prop, ONE_IP)
    assert refused.json["code"] == "rate_limited" and refused.json["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 61  # the window, rounded up
    assert banner_get(client, prop, OTHER_IP).status_code == 200


def test_the_limit_covers_posting_choices_too(app_with, prop):
    client = app_with(banner_rate_limit_per_ip="3/minute").test_client()
    for _ in range(3):
        banner_get(client, prop, ONE_IP)
    posted = client.post(f"/v1/banner/{prop.publishable_key}/consents", json={}, environ_base=ONE_IP)
    assert posted.status_code == 429


def test_one_property_cannot_use_up_another_propertys_allowance(app_with, prop, clock):
    client = app_with(banner_rate_limit_per_property="5/minute", banner_rate_limit_per_ip="1000/minute").test_client()
    other = make_property(clock, name="Other shop")
    for index in range(5):
        assert banner_get(client, prop, {"REMOTE_ADDR": f"192.0.2.{index}"}).status_code == 200
    assert banner_get(client, prop, {"REMOTE_ADDR": "192.0.2.200"}).status_code == 429
    assert banner_get(client, other, {"REMOTE_ADDR": "192.0.2.200"}).status_code == 200


def test_x_forwarded_for_is_trusted_only_from_configured_proxies(app_with, prop):
    untrusted = app_with(banner_rate_limit_per_ip="2/minute").test_client()
    spoofed = [untrusted.get(f"/v1/banner/{prop.publishable_key}", environ_base=ONE_IP,
                             headers={"X-Forwarded-For": f"10.0.0.{index}"}).status_code for index in range(3)]
    assert spoofed == [200, 200, 429]  # a made-up X-Forwarded-For does not buy a fresh allowance

    behind_proxy = app_with(banner_rate_limit_per_ip="2/minute", trusted_proxy_count=1).test_client()
    forwarded = [behind_proxy.get(f"/v1/banner/{prop.publishable_key}", environ_base=ONE_IP,
                                  headers={"X-Forwarded-For": f"10.0.0.{index}"}).status_code for index in range(3)]
    assert forwarded == [200, 200, 200]  # one proxy: its X-Forwarded-For is the client


def test_failed_authentication_is_rate_limited_per_ip(app_with, make_key):
    client = app_with(auth_failure_rate_limit="3/minute").test_client()
    bad = {"Authorization": "Bearer sk_nothing"}
    statuses = [client.get("/v1/purposes", headers=bad, environ_base=ONE_IP).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = client.get("/v1/purposes", headers=bad, environ_base=ONE_IP)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["code"] == "rate_limited"
    assert client.get("/v1/purposes", headers=bad, environ_base=OTHER_IP).status_code == 401


def test_a_valid_key_is_served_from_an_address_that_failed_too_often(app_with, make_key):
    """Failures are limited, successes are not: guesses from a shared address cannot lock its keys out."""
    client = app_with(auth_failure_rate_limit="3/minute").test_client()
    good = {"Authorization": f"Bearer {make_key('admin')}"}
    assert [client.get("/v1/purposes", headers=good, environ_base=ONE_IP).status_code for _ in range(5)] == [200] * 5
    bad = {"Authorization": "Bearer sk_nothing"}
    assert [client.get("/v1/purposes", headers=bad, environ_base=ONE_IP).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert [client.get("/v1/purposes", headers=good, environ_base=ONE_IP).status_code for _ in range(3)] == [200] * 3
    assert client.get("/v1/purposes", headers=bad, environ_base=ONE_IP).status_code == 429  # still refused


def test_rate_limits_are_validated_at_start(app_with):
    with pytest.raises(ConfigError, match="BANNER_RATE_LIMIT_PER_IP"):
        app_with(banner_rate_limit_per_ip="lots")


def _redis_or_unavailable() -> None:
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        from tests.conftest import unavailable

        unavailable("Redis", str(exc))


def test_redis_storage_shares_counts_between_instances(app_with, prop):
    _redis_or_unavailable()
    settings = {"ratelimit_storage_uri": "redis://127.0.0.1:6379/0", "banner_rate_limit_per_property": "4/minute"}
    first, second = app_with(**settings).test_client(), app_with(**settings).test_client()
    # A fresh property, so counts left in Redis by earlier runs cannot matter.
    statuses = [banner_get(client, prop, ONE_IP).status_code for client in (first, second, first, second, first)]
    assert statuses == [200, 200, 200, 200, 429]


def test_redis_storage_shares_failed_authentications_between_instances(app_with, make_key):
    _redis_or_unavailable()
    settings = {"ratelimit_storage_uri": "redis://127.0.0.1:6379/0", "auth_failure_rate_limit": "3/minute"}
    first, second = app_with(**settings).test_client(), app_with(**settings).test_client()
    # An address of this run only (a documentation range, never connected to), so earlier runs' counts cannot matter.
    address = {"REMOTE_ADDR": f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}
    bad = {"Authorization": "Bearer sk_nothing"}
    statuses = [client.get("/v1/purposes", headers=bad, environ_base=address).status_code
                for client in (first, second, first, second)]
    assert statuses == [401, 401, 401, 429]
    good = {"Authorization": f"Bearer {make_key('admin')}"}
    assert [client.get("/v1/purposes", headers=good, environ_base=address).status_code
            for client in (first, second)] == [200, 200]



def test_a_key_prefix_keeps_two_deployments_on_one_redis_apart(app_with, prop):
    _redis_or_unavailable()
    prefixes = [f"consent-test-{secrets.token_hex(4)}" for _ in range(2)]
    shared = {"ratelimit_storage_uri": "redis://127.0.0.1:6379/0", "banner_rate_limit_per_property": "2/minute"}
    first, second = (app_with(ratelimit_key_prefix=prefix, **shared).test_client() for prefix in prefixes)
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        # Each deployment spends its own allowance for the same property from the same address.
        assert [banner_get(first, prop, ONE_IP).status_code for _ in range(3)] == [200, 200, 429]
        assert [banner_get(second, prop, ONE_IP).status_code for _ in range(3)] == [200, 200, 429]
        for prefix in prefixes:
            assert any(prop.publishable_key in key.decode() for key in connection.scan_iter(f"{prefix}:*"))
    finally:
        for prefix in prefixes:
            for key in connection.scan_iter(f"{prefix}:*"):
                connection.delete(key)


def test_a_key_prefix_needs_redis(app_with):
    with pytest.raises(ConfigError, match="RATELIMIT_KEY_PREFIX"):
        app_with(ratelimit_key_prefix="consent", ratelimit_storage_uri="memory://")
