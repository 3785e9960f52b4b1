"""A test run's service logs and secrets, kept under test-output/logs/ for tests/log_privacy to scan afterwards.

Every log line the app writes in-process (JSON, through the service's own formatter), the output of every gunicorn
and `flask` command the e2e tests start, and every secret the run hands out (API keys, tokens, signed links, emails
and IPs it sends) land here. `make test` runs the scan as a second pytest invocation, so it sees the whole run.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote

from consent_service.logs import JsonFormatter, truncated_ip

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "test-output" / "logs"
# TEST_LOG_DIR names the folder (`make test` gives both invocations the same one); otherwise each run gets its own,
# LATEST points at the newest, so runs side by side never clear each other's files.
LOG_DIR_VARIABLE = "TEST_LOG_DIR"
LATEST = LOGS / "latest"
APP_LOG = "app.jsonl"
SECRETS = "secrets.tsv"
SERVICE_LOG_SUFFIX = ".log"
# The service's loggers (the access log and Flask's app logger among them), captured from INFO up.
SERVICE_LOGGER = "consent_service"
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Response fields that carry something only its holder may see; in links, only the signed part is secret.
SECRET_FIELDS = {"token", "secret", "signing_secret", "receipt"}
SIGNED_LINK = re.compile(r"/(?:preferences|unsubscribe|confirm)/([^/?#\s]{16,})")

_lock = threading.Lock()
_counter = iter(range(1, 1_000_000))
_run_dir: Path | None = None


def run_dir() -> Path:
    """This run's folder (outside a run started by configure(), the one the last run wrote to)."""
    if _run_dir is not None:
        return _run_dir
    if os.environ.get(LOG_DIR_VARIABLE):
        return Path(os.environ[LOG_DIR_VARIABLE]).resolve()
    return LATEST.resolve()


def start_run() -> Path:
    """A fresh folder for this run, and a handler that writes every service log record into it as JSON."""
    global _run_dir
    if os.environ.get(LOG_DIR_VARIABLE):
        folder = Path(os.environ[LOG_DIR_VARIABLE]).resolve()
        shutil.rmtree(folder, ignore_errors=True)
    else:
        _forget_finished_runs()
        folder = LOGS / f"run-{os.getpid()}"
        LATEST.unlink(missing_ok=True)
        LATEST.parent.mkdir(parents=True, exist_ok=True)
        LATEST.symlink_to(folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    _run_dir = folder
    # On the service's logger, not the root: Alembic's fileConfig (every migration) replaces the root's handlers.
    # It also closes every handler; a FileHandler in append mode opens its file again at the next record.
    handler = logging.FileHandler(folder / APP_LOG, encoding="utf-8", delay=True)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    service = logging.getLogger(SERVICE_LOGGER)
    service.addHandler(handler)
    if service.getEffectiveLevel() > logging.INFO:
        service.setLevel(logging.INFO)
    return folder


def _forget_finished_runs() -> None:
    """Folders of earlier runs whose process has ended; the newest stays until the next run starts."""
    for folder in LOGS.glob("run-*"):
        pid = folder.name.removeprefix("run-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def service_log(name: str) -> Path:
    """A new file for one started process's stdout and stderr."""
    folder = run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _lock:
        number = next(_counter)
    return folder / f"{number:05d}-{name}{SERVICE_LOG_SUFFIX}"


def remember_secret(kind: str, value: str | None) -> None:
    """One secret the run made or sent; the scan fails if any log holds it."""
    if not value or len(value) < 6:
        return
    value = value.strip()
    if "\t" in value or "\n" in value:
        return
    folder = run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _lock, (folder / SECRETS).open("a", encoding="utf-8") as out:
        out.write(f"{kind}\t{value}\n")


def remember_response_secrets(body: object) -> None:
    """Tokens, signed links and signing secrets found in a JSON response, at any depth."""
    if isinstance(body, dict):
        for name, value in body.items():
            if isinstance(value, str):
                if name in SECRET_FIELDS:
                    remember_secret(name, value)
                for signed in SIGNED_LINK.findall(value):
                    remember_secret("signed_link", signed)
            else:
                remember_response_secrets(value)
    elif isinstance(body, list):
        for item in body:
            remember_response_secrets(item)


def remember_request_secrets(environ: dict, path: str, body: bytes | None) -> None:
    """The client IPs and emails a request carried."""
    addresses = [environ.get("REMOTE_ADDR") or "", *environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in (address.strip() for address in addresses):
        # Loopback is the test's own; an address that is its own network (192.0.2.0) is what logs may keep.
        if address and address not in ("127.0.0.1", "::1") and truncated_ip(address) != address:
            remember_secret("ip", address)
    text = unquote(path) + (body.decode("utf-8", "replace") if body else "")
    for email in EMAIL.findall(text):
        remember_secret("email", email)


def _recording_flask_open(original):
    def open(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        body = kwargs.get("data")
        if "json" in kwargs:
            body = json.dumps(kwargs["json"], default=str)
        remember_request_secrets(getattr(response, "request", None) and response.request.environ or {}, path,
                                 body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else None)
        if response.is_json:
            remember_response_secrets(response.get_json(silent=True))
        return response

    return open


def _recording_requests_send(original):
    def send(self, request, **kwargs):
        response = original(self, request, **kwargs)
        remember_request_secrets({"HTTP_X_FORWARDED_FOR": request.headers.get("X-Forwarded-For", "")}, request.url,
                                 request.body.encode() if isinstance(request.body, str) else request.body
                                 if isinstance(request.body, bytes) else None)
        if "json" in response.headers.get("Content-Type", ""):
            try:
                remember_response_secrets(response.json())
            except ValueError:
                pass  # not JSON after all: nothing to remember
        return response

    return send


def record_clients() -> None:
    """Flask's test client and requests remember the secrets they send and receive, for the whole run."""
    import requests
    from flask.testing import FlaskClient

    FlaskClient.open = _recording_flask_open(FlaskClient.open)
    requests.Session.send = _recording_requests_send(requests.Session.send)


def is_privacy_check(config) -> bool:
    """The second invocation (`pytest -m log_privacy`) reads this folder; it must not start a new one."""
    return (config.getoption("markexpr", "") or "").strip() == "log_privacy"


def configure(config) -> None:
    if is_privacy_check(config):
        return
    start_run()
    record_clients()
