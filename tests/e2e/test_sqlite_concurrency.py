"""Several gunicorn workers on one SQLite file, hammered with writes and reads: no 5xx, no "database is locked"."""
from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter

import pytest
import requests

from tests.e2e.conftest import run_flask
from tests.e2e.gunicorn import serving

pytestmark = pytest.mark.e2e

CLIENT_THREADS = 12
ROUNDS_PER_THREAD = 24
# Few subjects, so writers of one subject's ledger meet all the time.
SUBJECTS = [f"busy-{n}" for n in range(4)]
EVENTS = [{"purpose": "marketing", "decision": "granted", "method": "api"},
          {"purpose": "analytics", "decision": "denied", "method": "api"}]
LOCK_ERRORS = re.compile(r"database is locked|database unavailable|Traceback", re.IGNORECASE)


def test_concurrent_writers_and_readers_on_sqlite_all_succeed(tmp_path):
    database = tmp_path / "consent.db"
    with serving(f"sqlite:///{database}", name="gunicorn-sqlite-concurrency", workers=3, threads=2,
                 BANNER_RATE_LIMIT_PER_IP="100000/minute", BANNER_RATE_LIMIT_PER_PROPERTY="100000/minute") as server:
        key = server_key(server)
        seeded = run(server, "demo", "seed")
        property_key = re.search(r"Demo property: (pk_\S+)", seeded).group(1)
        headers = {"Authorization": f"Bearer {key}"}
        banner = requests.get(f"{server.url}/v1/banner/{property_key}", timeout=10).json()
        statuses: Counter = Counter()
        failures: list[str] = []
        written: Counter = Counter()
        visitors: list[str] = []
        lock = threading.Lock()

        def client(number: int) -> None:
            with requests.Session() as http:
                for round_ in range(ROUNDS_PER_THREAD):
                    subject = SUBJECTS[(number + round_) % len(SUBJECTS)]
                    operation = (number + round_) % 4
                    if operation == 0:
                        response = http.post(f"{server.url}/v1/subjects/customer/{subject}/consent-events",
                                             json={"events": EVENTS, "notice_version": "v1", "country": "DE"},
                                             headers=headers, timeout=30)
                    elif operation == 1:
                        response = http.post(f"{server.url}/v1/banner/{property_key}/consents", timeout=30, json={
                            "choices": {"analytics": round_ % 2 == 0}, "method": "banner_custom",
                            "notice_version": banner["notice"]["version"], "banner_version": banner["banner_version"]})
                    elif operation == 2:
                        response = http.post(f"{server.url}/v1/checks", headers=headers, timeout=30, json={
                            "subject": {"kind": "customer", "id": subject}, "purposes": ["marketing"], "country": "DE"})
                    else:
                        response = http.get(f"{server.url}/v1/subjects/customer/{subject}/consents", headers=headers,
                                            timeout=30)
                    with lock:
                        statuses[response.status_code] += 1
                        if response.status_code >= 300:
                            failures.append(f"{response.request.method} {response.url}: {response.status_code} "
                                            f"{response.text[:200]}")
                        elif operation == 0:
                            written[subject] += 1
                        elif operation == 1:
                            visitors.append(response.json()["visitor_id"])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        verified = run(server, "ledger", "verify")
        log = server.log_text()

    assert failures == [], failures[:5]
    assert sum(statuses.values()) == CLIENT_THREADS * ROUNDS_PER_THREAD
    assert LOCK_ERRORS.findall(log) == []
    # The ledger is complete: every acknowledged write is there, in full, and every chain verifies.
    with sqlite3.connect(database) as connection:
        stored = dict(connection.execute(
            "SELECT s.external_id, count(e.id) FROM subjects s JOIN consent_events e ON e.subject_id = s.id "
            "WHERE s.kind = 'customer' GROUP BY s.external_id").fetchall())
        revisions = connection.execute(
            "SELECT s.revision, count(e.id), min(e.revision), max(e.revision) FROM subjects s "
            "JOIN consent_events e ON e.subject_id = s.id GROUP BY s.id").fetchall()
        visitor_subjects = connection.execute("SELECT count(*) FROM subjects WHERE kind = 'visitor'").fetchone()[0]
    assert stored == {subject: count * len(EVENTS) for subject, count in written.items()}
    assert all(revision == count == last and first == 1 for revision, count, first, last in revisions)
    assert visitor_subjects == len(set(visitors)) == len(visitors)
    assert "ledger ok" in verified


def server_key(server) -> str:
    return run(server, "keys", "create", "--name", "busy", "--scope", "consents:read", "--scope",
               "consents:write").strip()


def run(server, *args: str) -> str:
    return run_flask(server.env, *args).stdout
