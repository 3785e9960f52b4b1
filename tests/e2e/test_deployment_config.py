"""The shipped deployment files agree with each other: gunicorn's limits, nginx in front, Redis for rate limits."""
from __future__ import annotations

import re
import runpy

import yaml
from gunicorn.glogging import Logger
from gunicorn.util import load_class

from consent_service.config import Settings
from tests.e2e.conftest import ROOT
from tests.e2e.nginx import SHIPPED_CONFIG

GUNICORN = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
NGINX = SHIPPED_CONFIG.read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _nginx_seconds(directive: str, text: str = NGINX) -> int:
    values = re.findall(rf"^\s*{directive}\s+(\d+)s;", text, re.MULTILINE)
    assert len(values) == 1, f"{directive} should be set once"
    return int(values[0])


def test_gunicorn_sets_its_timeouts_and_request_limits():
    assert GUNICORN["timeout"] == 30 and GUNICORN["graceful_timeout"] <= GUNICORN["timeout"]
    assert 0 < GUNICORN["keepalive"] <= 10
    assert GUNICORN["limit_request_line"] <= 4094
    assert GUNICORN["limit_request_fields"] <= 100 and GUNICORN["limit_request_field_size"] <= 8190
    assert issubclass(load_class(GUNICORN["logger_class"], section="gunicorn.loggers"), Logger)


def test_nginx_reads_whole_requests_within_bounds_and_closes_idle_upstreams_before_gunicorn():
    assert _nginx_seconds("client_header_timeout") <= 10 and _nginx_seconds("client_body_timeout") <= 10
    assert "proxy_request_buffering on;" in NGINX and "proxy_buffering on;" in NGINX
    upstream = re.search(r"upstream consent_service \{(.*?)\}", NGINX, re.DOTALL).group(1)
    assert _nginx_seconds("keepalive_timeout", upstream) < GUNICORN["keepalive"]
    body_limit = int(re.search(r"client_max_body_size (\d+)k;", NGINX).group(1)) * 1024
    assert body_limit == Settings().max_content_length
    # Headers the service trusts are the proxy's to set, never a client's.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in NGINX
    assert 'proxy_set_header X-Country-Code "";' in NGINX


def test_compose_publishes_only_nginx_and_shares_rate_limits_through_redis():
    services = COMPOSE["services"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    environment = services["web"]["environment"]
    assert environment["RATELIMIT_STORAGE_URI"].endswith("redis://redis:6379/0}")
    assert environment["TRUSTED_PROXY_COUNT"].endswith(":-1}")
    assert "redis" in services
