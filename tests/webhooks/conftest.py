"""A real HTTP receiver on 127.0.0.1, webhook endpoints, an in-process worker, consent writes."""
from __future__ import annotations

import importlib.util
import json
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.signing import SecretCipher
from consent_service.webhooks.worker import Worker, WorkerOptions
from tests.conftest import ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]


def load_receiver_example():
    """examples/webhook-receiver/verify.py, the code docs/api.md shows receivers."""
    spec = importlib.util.spec_from_file_location("webhook_receiver_verify", ROOT / "examples/webhook-receiver/verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when the worker sends 8 at once.
    request_queue_size = 128


class Receiver:
    """Answers 500 to the first `fail_first` requests, then 200 (or `status`), after `delay` seconds."""

    def __init__(self) -> None:
        self.fail_first = 0
        self.delay = 0.0
        self.status = 200
        self.requests: list[Received] = []
        self.arrivals = 0  # requests read, including those still waiting out the delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.arrivals += 1
                time.sleep(receiver.delay)
                with receiver._lock:
                    failing = len(receiver.requests) < receiver.fail_first
                    status = 500 if failing else receiver.status
                    receiver.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/consent"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def deduplicated(self) -> dict[str, Received]:
        """What a receiver deduplicating by webhook-id keeps: the first accepted request per id."""
        kept: dict[str, Received] = {}
        for request in self.accepted():
            kept.setdefault(request.headers["webhook-id"], request)
        return kept

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def cipher() -> SecretCipher:
    return SecretCipher((ENCRYPTION_KEY,))


@pytest.fixture
def make_endpoint(app, clock, cipher):
    """make_endpoint(url, event_types=...) -> (endpoint, secret), committed."""

    def make(url: str, event_types=("consent.changed",), enabled: bool = True):
        endpoint, secret = webhooks.create_endpoint(
            session=db.session, url=url, event_types=list(event_types), cipher=cipher,
            allow_private=True, enabled=enabled, now=clock(),
        )
        db.session.commit()
        return endpoint, secret

    return make


@pytest.fixture
def make_worker(app, clock, cipher):
    """make_worker(**option overrides) -> an in-process Worker on the test's session and frozen clock."""

    def make(**overrides) -> Worker:
        settings = runtime().settings
        options = WorkerOptions.from_settings(settings, batch=10, concurrency=4)
        options = WorkerOptions(**{**options.__dict__, "timeout_seconds": 2, "allow_private": True, **overrides})
        return Worker(session=db.session, cipher=cipher, options=options, clock=clock, rng=random.Random(7))

    return make


@pytest.fixture
def record(client, auth):
    """record(subject_id, purpose=..., decision=...) -> the POST response of one consent write."""
    headers = auth("consents:write")

    def post(subject_id: str, purpose: str = "marketing", decision: str = "granted", kind: str = "customer"):
        body = {"events": [{"purpose": purpose, "decision": decision, "method": "api"}], "notice_version": "v1"}
        return client.post(f"/v1/subjects/{kind}/{subject_id}/consent-events", json=body, headers=headers)

    return post
