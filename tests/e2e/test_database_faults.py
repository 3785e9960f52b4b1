"""PostgreSQL cut while writes flow: 503s with Retry-After, no partial or lost write, recovery without restart."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from tests import run_logs
from tests.conftest import ENCRYPTION_KEY
from tests.e2e.conftest import ROOT, free_port, run_flask, wait_until_healthy
from tests.e2e.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

EVENTS = [{"purpose": "marketing", "decision": "granted", "method": "api"},
          {"purpose": "analytics", "decision": "denied", "method": "api"}]
CLIENT_TIMEOUT_SECONDS = 8


@pytest.fixture
def service_behind_proxy(postgres_url):
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname, parts.port or 5432).start()
    proxied_url = postgres_url.replace(parts.netloc, f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}", 1)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FLASK_APP": "consent_service:create_cli_app", "CONSENT_ENV": "production", "DATABASE_URL": proxied_url,
           "SECRET_KEY": "fault-secret-key-long-enough-for-production-use", "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
           "ERASURE_PEPPER": "fault-pepper-long-enough-for-production-use", "TOKEN_ISSUER": url,
           "STATEMENT_TIMEOUT_MS": "3000"}
    run_flask(env, "db", "upgrade")
    key = run_flask(env, "keys", "create", "--name", "faults", "--scope", "consents:write").stdout.strip()
    log = run_logs.service_log("gunicorn-faults")
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(url, process, log)
            yield url, key, proxy
        finally:
            process.terminate()
            process.wait(timeout=15)
            proxy.cut()


def write(url: str, key: str, subject: str) -> str:
    """acknowledged, failed (a definitive refusal), or unknown (no answer: it may or may not have happened)."""
    try:
        response = requests.post(f"{url}/v1/subjects/customer/{subject}/consent-events",
                                 json={"events": EVENTS, "notice_version": "v1"},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=CLIENT_TIMEOUT_SECONDS)
    except requests.RequestException:
        return "unknown"
    if response.status_code == 201:
        return "acknowledged"
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "unavailable" and int(response.headers["Retry-After"]) > 0
    return "failed"


def events_per_subject(postgres_url: str, prefix: str) -> dict[str, int]:
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute(
            "SELECT s.external_id, count(e.id) FROM subjects s LEFT JOIN consent_events e ON e.subject_id = s.id "
            "WHERE s.external_id LIKE %s GROUP BY s.external_id", (prefix + "%",)).fetchall()
    return dict(rows)


def test_a_database_outage_loses_and_half_writes_nothing(service_behind_proxy, postgres_url):
    url, key, proxy = service_behind_proxy
    prefix = f"fault-{uuid.uuid4().hex[:8]}-"
    outcomes: dict[str, str] = {}

    def write_batch(count: int) -> None:
        for _ in range(count):
            subject = f"{prefix}{len(outcomes)}"
            outcomes[subject] = write(url, key, subject)

    write_batch(10)
    proxy.cut()
    ready = requests.get(f"{url}/readyz", timeout=CLIENT_TIMEOUT_SECONDS)
    assert ready.status_code == 503 and ready.json()["code"] == "unavailable" and ready.headers["Retry-After"]
    during = len(outcomes)
    write_batch(10)
    assert all(outcomes[f"{prefix}{n}"] in ("failed", "unknown") for n in range(during, len(outcomes)))
    proxy.restore()
    deadline = time.monotonic() + 30
    while requests.get(f"{url}/readyz", timeout=CLIENT_TIMEOUT_SECONDS).status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover without a restart"
        time.sleep(0.2)
    after = len(outcomes)
    write_batch(10)
    assert all(outcomes[f"{prefix}{n}"] == "acknowledged" for n in range(after, len(outcomes))), outcomes

    stored = events_per_subject(postgres_url, prefix)
    for subject, outcome in outcomes.items():
        count = stored.get(subject, 0)
        assert count in (0, len(EVENTS)), (subject, outcome, count)  # all events of a request, or none
        if outcome == "acknowledged":
            assert count == len(EVENTS), (subject, count)  # exactly once
        elif outcome == "failed":
            assert count == 0, (subject, count)
