"""`make run` in a fresh copy of the checkout is the whole product: a webhook registered with the documented (docs/api.md)
commands gets its delivery with nothing else started, Ctrl-C stops every process, and the demo key outlives
a restart."""
from __future__ import annotations

import http.server
import json
import stat
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import pytest
import requests

from tests import run_logs
from tests.e2e.make_run import MakeRun, fresh_copy, make_run_environment

pytestmark = pytest.mark.e2e

DELIVERY_SECONDS = 20


@pytest.fixture
def make_run_env(database_url: str) -> dict:
    return make_run_environment(database_url)


@contextmanager
def receiver() -> Iterator[tuple[str, list[dict]]]:
    """A webhook receiver on loopback that answers 204 and keeps what it got."""
    received: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/consent", received
    finally:
        server.shutdown()
        server.server_close()


def test_make_run_delivers_webhooks_stops_on_ctrl_c_and_keeps_the_demo_key(make_run_env, tmp_path):
    checkout = fresh_copy(tmp_path / "clone")
    assert not (checkout / "instance").exists()
    first = MakeRun(checkout, make_run_env, tmp_path / "make-run-1.out")
    try:
        first.start()
        key = first.demo_key()
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with receiver() as (hook_url, received):
            # The documented commands (docs/api.md, Webhooks): register the endpoint, then record a consent.
            registered = requests.post(f"{first.url}/v1/webhooks", headers=auth, timeout=10,
                                       json={"url": hook_url, "event_types": ["consent.changed"]})
            assert registered.status_code == 201, registered.text
            run_logs.remember_secret("webhook_secret", registered.json()["secret"])
            recorded = requests.post(f"{first.url}/v1/subjects/customer/c-1/consent-events", headers=auth, timeout=10,
                                     json={"events": [{"purpose": "recording", "decision": "granted", "method": "verbal"}],
                                           "notice_version": "2020-05-01", "country": "DE",
                                           "actor": {"type": "agent", "id": "agent-42"}})
            assert recorded.status_code == 201, recorded.text
            deadline = time.monotonic() + DELIVERY_SECONDS
            while not received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert received, "no delivery arrived:\n" + first.text()
        delivery = received[0]
        assert delivery["body"]["type"] == "consent.changed"
        assert delivery["body"]["data"]["subject"] == {"kind": "customer", "id": "c-1"}
        assert delivery["headers"]["webhook-signature"].startswith("v1,")
        text = first.text()
        # Said once by gunicorn's master, not by each worker nor by the seed or the webhook worker.
        assert text.count("using generated development secrets") == 1, text
        assert text.count("rate limits are counted per worker process") == 1, text
        first.interrupt()
    finally:
        first.stop()
        first.keep_logs("make-run-1")
    key_file = checkout / "instance" / "demo-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (checkout / "instance" / "dev-secrets.json").exists()  # the copy's package ran, not the checkout's

    second = MakeRun(checkout, make_run_env, tmp_path / "make-run-2.out")
    try:
        second.start()
        assert second.demo_key() == key
        assert "Revoked" not in second.text()
        answer = requests.get(f"{second.url}/v1/webhooks", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        second.interrupt()
    finally:
        second.stop()
        second.keep_logs("make-run-2")
