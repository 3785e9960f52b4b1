"""`flask webhooks run` as a real process: SIGKILL mid-batch, start again, nothing lost, order kept."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from consent_service.clock import system_clock
from consent_service.extensions import db
from consent_service.webhooks.models import WebhookDelivery
from tests.conftest import ENCRYPTION_KEY
from tests.webhooks.conftest import ROOT, load_receiver_example
from tests.webhooks.test_concurrency import revisions_by_subject

SUBJECTS = ("c-1", "c-2", "c-3")
REVISIONS = 4


def start_worker(database_url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "consent_service:create_cli_app",
        "CONSENT_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "worker-secret-key-long-enough-for-production-use",
        "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ERASURE_PEPPER": "worker-erasure-pepper-long-enough-for-production",
        "TOKEN_ISSUER": "http://127.0.0.1:8000",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on 127.0.0.1
        "WEBHOOK_TIMEOUT_SECONDS": "1",  # so a dead worker's lease ends within seconds
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "webhooks", "run", "--batch", "3", "--concurrency", "3", "--poll-interval", "0.05"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_killed_worker_loses_nothing_and_keeps_each_subjects_order(app, database_url, receiver, make_endpoint, record,
                                                                     tmp_path):
    app.config["CLOCK"] = system_clock  # the worker process runs on real time
    _, secret = make_endpoint(receiver.url)
    for _ in range(REVISIONS):
        for subject in SUBJECTS:
            assert record(subject).status_code == 201
    total = len(SUBJECTS) * REVISIONS
    receiver.delay = 0.3

    with (tmp_path / "worker.log").open("w+") as log:
        first = start_worker(database_url, log)
        try:
            # The first batch answered, the second one in flight at the receiver.
            wait_for(lambda: receiver.arrivals > 3, 30, "the second batch")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)

        second = start_worker(database_url, log)
        try:
            wait_for(lambda: len(receiver.deduplicated()) == total, 60, "every event")
            second.send_signal(signal.SIGTERM)  # graceful: finishes the batch in hand
            assert second.wait(timeout=15) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
        log.seek(0)
        output = log.read()

    verify = load_receiver_example().verify
    for request in receiver.requests:
        verify(secret, request.headers, request.body)
    by_subject = revisions_by_subject(receiver.requests)
    assert len(receiver.requests) > total  # the batch in flight when killed was received, then sent again
    for subject in SUBJECTS:
        # A delivery sent but not recorded before the kill is sent again (deduplicated by webhook-id):
        # so a revision may repeat, but never comes after a later one.
        assert by_subject[subject] == sorted(by_subject[subject]), (subject, by_subject)
        assert set(by_subject[subject]) == set(range(1, REVISIONS + 1))
    db.session.expire_all()
    assert {d.status for d in db.session.scalars(select(WebhookDelivery))} == {"delivered"}, output
    assert "stopped" in output
