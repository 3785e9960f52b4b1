"""A gunicorn worker killed with SIGKILL in the middle of a multi-event write leaves no partial event.

PostgreSQL: a trigger makes the request's last event INSERT wait on an advisory lock the test holds, so the worker
is caught inside its transaction with every event row inserted; the test checks that in pg_locks, finds the worker
by its database connection's port, and kills it. SQLite has no row locks to wait on, so a hook loaded into gunicorn
(sitecustomize, test-only) holds the transaction just before COMMIT and names the worker in a file.
Either way: the subject's ledger has all of the request's events or none, its chain verifies, the master starts
a new worker and the service goes on serving the same subject.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from tests.e2e.conftest import run_flask
from tests.e2e.gunicorn import Gunicorn, serving

pytestmark = pytest.mark.e2e

EVENTS = [{"purpose": "marketing", "decision": "granted", "method": "api"},
          {"purpose": "analytics", "decision": "denied", "method": "api"},
          {"purpose": "preferences", "decision": "granted", "method": "api"}]
STALL_LOCK = 815_001
WAIT_SECONDS = 20
# Loaded by every Python process started with this folder on PYTHONPATH: gunicorn's workers among them.
STALL_HOOK = '''
import os, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

MARK = os.environ["E2E_STALL_MARK"]


@event.listens_for(Engine, "after_cursor_execute")
def _seen(connection, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("INSERT INTO CONSENT_EVENTS") and MARK in repr(parameters):
        connection.info["e2e_marked"] = True


@event.listens_for(Engine, "commit")
def _hold(connection):
    if connection.info.pop("e2e_marked", False):
        with open(os.environ["E2E_STALL_FILE"], "w") as marker:
            marker.write(str(os.getpid()))
        time.sleep(600)
'''


def post_events(server: Gunicorn, key: str, subject: str, notice_version: str, outcome: dict) -> None:
    try:
        response = requests.post(f"{server.url}/v1/subjects/customer/{subject}/consent-events",
                                 json={"events": EVENTS, "notice_version": notice_version},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=60)
        outcome["status"] = response.status_code
    except requests.ConnectionError:
        outcome["status"] = "no answer"  # the worker died with the connection open


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_serving_again(server: Gunicorn, key: str, subject: str, workers_before: set[int], killed: int) -> None:
    """The master replaced the worker, and the subject takes a full write whose chain starts or goes on cleanly."""
    wait_for(lambda: len(server.workers()) == len(workers_before) and killed not in server.workers(), "a new worker")
    for _ in range(4):  # enough requests that the new worker serves some
        outcome: dict = {}
        post_events(server, key, subject, "v1", outcome)
        assert outcome["status"] == 201, outcome
    verified = run_flask(server.env, "ledger", "verify")
    assert "ledger ok" in verified.stdout, verified.stdout + verified.stderr


def worker_of_backend(server: Gunicorn, client_port: int) -> int:
    """The worker whose socket has `client_port` as its local port (found through /proc/net/tcp inodes)."""
    wanted = f"0100007F:{client_port:04X}"
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
              if line.split()[1] == wanted}
    for pid in server.workers():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def test_sigkill_mid_transaction_on_postgresql_leaves_no_partial_event(postgres_url):
    mark = f"stall-{uuid.uuid4().hex[:8]}"
    subject = f"killed-{mark}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"""
            CREATE OR REPLACE FUNCTION e2e_stall() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock_shared({STALL_LOCK}); RETURN NULL; END $$""")
        admin.execute(f"""
            CREATE TRIGGER e2e_stall AFTER INSERT ON consent_events FOR EACH ROW
            WHEN (NEW.notice_version = '{mark}' AND NEW.revision = {len(EVENTS)}) EXECUTE FUNCTION e2e_stall()""")
        try:
            admin.execute("SELECT pg_advisory_lock(%s)", (STALL_LOCK,))
            with serving(postgres_url, name="gunicorn-worker-kill-pg", STATEMENT_TIMEOUT_MS="60000") as server:
                key = run_flask(server.env, "keys", "create", "--name", "kill", "--scope", "consents:write").stdout.strip()
                workers = server.workers()
                outcome: dict = {}
                writer = threading.Thread(target=post_events, args=(server, key, subject, mark, outcome))
                writer.start()
                backend, port = wait_for(lambda: admin.execute(
                    "SELECT pid, client_port FROM pg_stat_activity WHERE wait_event = 'advisory' "
                    "AND datname = current_database()").fetchone(), "the write to wait on the test's lock")
                # Caught inside its transaction, after inserting the events, which nobody else can see yet.
                assert admin.execute(
                    "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = %s "
                    "AND c.relname = 'consent_events' AND l.mode = 'RowExclusiveLock'", (backend,)).fetchone()
                assert stored_events(admin, subject) == []
                killed = worker_of_backend(server, port)
                os.kill(killed, signal.SIGKILL)
                writer.join(timeout=WAIT_SECONDS)
                admin.execute("SELECT pg_advisory_unlock(%s)", (STALL_LOCK,))
                # The orphaned backend finds its client gone and rolls back.
                wait_for(lambda: admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                                               (backend,)).fetchone()[0] == 0, "the orphaned backend to end")
                assert outcome == {"status": "no answer"}
                assert stored_events(admin, subject) == []  # none of the request's three events
                assert_serving_again(server, key, subject, workers, killed)
                assert stored_events(admin, subject) == list(range(1, 4 * len(EVENTS) + 1))
        finally:
            admin.execute("DROP TRIGGER IF EXISTS e2e_stall ON consent_events")
            admin.execute("DROP FUNCTION IF EXISTS e2e_stall()")
            admin.execute("SELECT pg_advisory_unlock_all()")


def test_sigkill_before_commit_on_sqlite_leaves_no_partial_event(tmp_path, monkeypatch):
    import sqlite3

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(STALL_HOOK)
    stall_file = tmp_path / "stalled-worker"
    mark = f"stall-{uuid.uuid4().hex[:8]}"
    subject = f"killed-{mark}"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    monkeypatch.setenv("E2E_STALL_MARK", mark)
    monkeypatch.setenv("E2E_STALL_FILE", str(stall_file))
    database = tmp_path / "consent.db"
    with serving(f"sqlite:///{database}", name="gunicorn-worker-kill-sqlite") as server:
        key = run_flask(server.env, "keys", "create", "--name", "kill", "--scope", "consents:write").stdout.strip()
        workers = server.workers()
        outcome: dict = {}
        writer = threading.Thread(target=post_events, args=(server, key, subject, mark, outcome))
        writer.start()
        killed = int(wait_for(lambda: stall_file.exists() and stall_file.read_text(), "the write to reach COMMIT"))
        assert killed in workers
        os.kill(killed, signal.SIGKILL)
        writer.join(timeout=WAIT_SECONDS)
        assert outcome == {"status": "no answer"}
        with sqlite3.connect(database) as connection:
            assert connection.execute("SELECT count(*) FROM consent_events WHERE notice_version = ?",
                                      (mark,)).fetchone()[0] == 0
        assert_serving_again(server, key, subject, workers, killed)
    with sqlite3.connect(database) as connection:
        revisions = [row[0] for row in connection.execute(
            "SELECT e.revision FROM consent_events e JOIN subjects s ON s.id = e.subject_id "
            "WHERE s.external_id = ? ORDER BY e.revision", (subject,))]
    assert revisions == list(range(1, 4 * len(EVENTS) + 1))


def stored_events(connection, subject: str) -> list[int]:
    return [row[0] for row in connection.execute(
        "SELECT e.revision FROM consent_events e JOIN subjects s ON s.id = e.subject_id "
        "WHERE s.external_id = %s ORDER BY e.revision", (subject,)).fetchall()]
