"""Slow clients against the documented production setup: nginx (deploy/nginx.conf) in front of gunicorn."""
from __future__ import annotations

import json
import re
import secrets
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.gunicorn import serving
from tests.e2e.nginx import SlowClients, fronting

pytestmark = pytest.mark.e2e

SLOW_CONNECTIONS = 50
PROBES = 5
# Generous: an idle /healthz answers in milliseconds; a stalled one does not answer at all.
ANSWER_WITHIN_SECONDS = 2.0
HEADER_TIMEOUT_SECONDS = 10  # deploy/nginx.conf's client_header_timeout


def _port(url: str) -> int:
    return urlsplit(url).port


def test_healthz_answers_through_nginx_while_50_clients_send_headers_slowly(postgres_url):
    # Two sync workers: the setup most easily held (GUNICORN_THREADS=1), held here through the proxy.
    with serving(postgres_url, name="gunicorn-slow-clients", workers=2, threads=1) as server:
        with fronting(server.url.removeprefix("http://"), name="nginx-slow-clients") as proxy:
            with SlowClients(proxy.port, count=SLOW_CONNECTIONS) as slow:
                opened = time.monotonic()
                time.sleep(1)  # every connection has started its headers
                durations = []
                for _ in range(PROBES):
                    started = time.monotonic()
                    response = requests.get(f"{proxy.url}/healthz", timeout=10)
                    durations.append(time.monotonic() - started)
                    assert response.status_code == 200
                    # The attack is on: nginx has neither answered nor dropped a slow connection (until its
                    # client_header_timeout, 10 s after each opened, ends them).
                    if len(durations) == 1 or time.monotonic() - opened < HEADER_TIMEOUT_SECONDS - 1:
                        assert slow.still_open() == SLOW_CONNECTIONS
                    time.sleep(0.2)
                assert max(durations) < ANSWER_WITHIN_SECONDS, durations

        # The contrast: the same clients straight at gunicorn hold both workers; /healthz gets no answer.
        with SlowClients(_port(server.url), count=SLOW_CONNECTIONS):
            time.sleep(1)
            with pytest.raises(requests.Timeout):
                requests.get(f"{server.url}/healthz", timeout=ANSWER_WITHIN_SECONDS)


class _EchoHeaders(BaseHTTPRequestHandler):
    """Answers every GET with the request headers it received, as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass  # the test reads the answers, not this server's lines


@contextmanager
def _echo_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_nginx_sends_the_peer_address_drops_the_visitors_country_and_logs_no_path():
    subject = f"cust-{secrets.token_hex(6)}"
    with _echo_upstream() as upstream, fronting(upstream, name="nginx-headers") as proxy:
        seen = requests.get(
            f"{proxy.url}/v1/subjects/customer/{subject}/consents",
            headers={"X-Forwarded-For": "198.51.100.7", "X-Country-Code": "US", "X-Request-ID": "req-42"},
            timeout=5,
        ).json()
        assert seen["x-forwarded-for"] == "127.0.0.1"  # the peer, not what the client claimed
        assert "x-country-code" not in seen  # only the proxy may say where a visitor is
        assert seen["x-forwarded-proto"] == "http"
        assert seen["x-request-id"] == "req-42"
        assert re.fullmatch(r"[0-9a-f]{32}", requests.get(
            f"{proxy.url}/healthz", headers={"X-Request-ID": "not plain!"}, timeout=5).json()["x-request-id"])

        too_large = requests.post(f"{proxy.url}/v1/checks", data=b"{" + b" " * 70_000 + b"}",
                                  headers={"Content-Type": "application/json"}, timeout=5)
        assert too_large.status_code == 413
        assert too_large.json()["code"] == "payload_too_large"

    log = proxy.log.read_text()
    assert "127.0.0.0" in log and '"GET"' in log  # one private line per request
    assert subject not in log and "198.51.100.7" not in log and "127.0.0.1" not in log

