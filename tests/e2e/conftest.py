"""A real gunicorn serving the service, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests import run_logs
from tests.conftest import ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
SECRET_KEY_PATTERN = re.compile(r"\bsk_[a-z0-9]{8}_[A-Za-z0-9]+")


@dataclass(frozen=True)
class LiveServer:
    url: str
    key: str
    env: dict

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        return run_flask(self.env, *args)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    run_logs.service_log(f"flask-{args[0]}").write_text(result.stderr)  # stdout is the command's answer, not a log
    assert result.returncode == 0, result.stderr
    for key in SECRET_KEY_PATTERN.findall(result.stdout):  # `keys create`, `demo seed`
        run_logs.remember_secret("api_key", key)
    return result


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {log.read_text()}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # the socket accepts before a worker has booted
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not become healthy")


@pytest.fixture
def server_settings() -> dict[str, str]:
    """Settings a test module adds to the live server's environment (override the fixture there)."""
    return {}


@pytest.fixture
def live_server(database_url: str, server_settings: dict[str, str]) -> Iterator[LiveServer]:
    """Production settings, a migrated database, a key made with the CLI, two gunicorn workers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FLASK_APP": "consent_service:create_cli_app",
        "CONSENT_ENV": "production",
        "DEMO_PAGE": "true",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "e2e-secret-key-long-enough-for-production-use",
        "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ERASURE_PEPPER": "e2e-erasure-pepper-long-enough-for-production",
        "TOKEN_ISSUER": url,
        **server_settings,
    }
    run_flask(env, "db", "upgrade")
    key = run_flask(env, "keys", "create", "--name", "e2e", "--scope", "consents:read", "--scope",
                    "consents:write", "--scope", "tokens:issue").stdout.strip()
    log = run_logs.service_log("gunicorn")
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(url, process, log)
            yield LiveServer(url=url, key=key, env=env)
        finally:
            process.terminate()
            process.wait(timeout=15)


CHROMIUM = "/usr/bin/chromium"
# Without these the closed network here stalls Chromium on background connections.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture
def demo_page(live_server) -> str:
    """The demo page's URL, for the demo property `flask demo seed` creates."""
    seeded = live_server.flask("demo", "seed").stdout
    assert "Demo property: pk_" in seeded
    return f"{live_server.url}/demo"


@pytest.fixture
def screenshot():
    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
