"""Webhook delivery: events delivered per second to a local receiver, and commit-to-delivery delay.

    .venv/bin/python bench/webhooks_bench.py                       # SQLite in a temporary folder
    .venv/bin/python bench/webhooks_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

Consent changes are written through the HTTP API (in process); the real worker (`flask webhooks
run`, a separate process) delivers them to a receiver on 127.0.0.1. Throughput: a backlog of
--events changes over --subjects subjects, drained from the first delivery to the last. Delay:
--latency-events changes written at --rate per second while the worker runs, from each commit
to its arrival. Prints a markdown table row per worker poll interval.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from datetime import datetime, timezone
from pathlib import Path

from cryptography.fernet import Fernet
from flask_migrate import upgrade

from consent_service import create_app
from consent_service.apikeys import service as apikeys
from consent_service.clock import system_clock
from consent_service.extensions import db
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.signing import SecretCipher

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.sections import write_section  # noqa: E402  (needs ROOT on the path)

SECRET_KEY = "bench-secret-key-long-enough-for-production-use"
ERASURE_PEPPER = "bench-erasure-pepper-long-enough-for-production"
WORKER_LOG = ROOT / "test-output" / "bench-webhooks-worker.log"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when the worker sends 8 at once.
    request_queue_size = 128


class Receiver:
    """Records the first arrival time of each (subject, revision)."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, int], float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["data"]
                with receiver.lock:
                    receiver.arrivals.setdefault((data["subject"]["id"], data["revision"]), time.time())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


def wait_for(condition, seconds: float, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if worker.poll() is not None:
            raise SystemExit(f"the webhook worker exited with {worker.returncode}; its output: {WORKER_LOG}")
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for deliveries")
        time.sleep(0.005)


class Bench:
    def __init__(self, database_url: str, encryption_key: str, args) -> None:
        self.args = args
        self.database_url = database_url
        self.encryption_key = encryption_key
        self.app = create_app({"env": "testing", "database_url": database_url, "secret_key": SECRET_KEY,
                               "key_encryption_keys": (encryption_key,)})
        self.app.config["CLOCK"] = system_clock
        self.receiver = Receiver()
        with self.app.app_context():
            upgrade()
            _, self.key = apikeys.create_key(session=db.session, name="bench", scopes=["consents:write"],
                                             now=system_clock())
            webhooks.create_endpoint(session=db.session, url=self.receiver.url, event_types=["consent.changed"],
                                     cipher=SecretCipher((encryption_key,)), allow_private=True, now=system_clock())
            db.session.commit()
        self.client = self.app.test_client()
        self.revisions: dict[str, int] = {}

    def write(self, subject: str) -> tuple[tuple[str, int], float]:
        decision = "granted" if self.revisions.get(subject, 0) % 2 == 0 else "withdrawn"
        body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}], "notice_version": "v1"}
        response = self.client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body,
                                    headers={"Authorization": f"Bearer {self.key}"})
        committed = time.time()
        assert response.status_code == 201, response.json
        self.revisions[subject] = response.json["revision"]
        return (subject, response.json["revision"]), committed

    def worker(self, poll_interval: float, log) -> subprocess.Popen:
        env = {**os.environ, "FLASK_APP": "wsgi", "CONSENT_ENV": "production", "DATABASE_URL": self.database_url,
               "SECRET_KEY": SECRET_KEY, "KEY_ENCRYPTION_KEYS": self.encryption_key, "ERASURE_PEPPER": ERASURE_PEPPER,
               "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "TOKEN_ISSUER": "http://127.0.0.1:8000"}
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "webhooks", "run", "--batch", str(self.args.batch),
             "--concurrency", str(self.args.concurrency), "--poll-interval", str(poll_interval)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )

    def run(self, poll_interval: float, log) -> dict:
        args = self.args
        start = self.receiver.count()
        for n in range(args.events):
            self.write(f"t{n % args.subjects}")
        first_arrival = time.time()
        worker = self.worker(poll_interval, log)
        try:
            wait_for(lambda: self.receiver.count() > start, 60, worker)
            first_arrival = min(t for t in list(self.receiver.arrivals.values())[start:])
            wait_for(lambda: self.receiver.count() == start + args.events, 600, worker)
            throughput = args.events / (max(self.receiver.arrivals.values()) - first_arrival)

            committed: dict[tuple[str, int], float] = {}
            begin = time.monotonic()
            for n in range(args.latency_events):
                time.sleep(max(0.0, begin + n / args.rate - time.monotonic()))
                key, at = self.write(f"l{n % args.subjects}")
                committed[key] = at
            wait_for(lambda: all(key in self.receiver.arrivals for key in committed), 120, worker)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        delays = sorted((self.receiver.arrivals[key] - at) * 1000 for key, at in committed.items())
        return {"throughput": throughput, "median": statistics.median(delays),
                "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))]}


def postgres_database(admin_url: str):
    import psycopg

    name = f"consent_bench_{os.getpid()}"

    def admin(statement: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(statement)

    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name, lambda: admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="benchmark on a fresh database on this server")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--latency-events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0, help="changes per second in the delay run")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--poll-interval", type=float, action="append", help="repeat; default 0.5 and 0.05")
    parser.add_argument("--no-write", action="store_true", help="Print the table instead of writing BENCHMARKS.md")
    args = parser.parse_args()
    polls = args.poll_interval or [0.5, 0.05]

    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            database_url, drop = postgres_database(args.postgres)
            engine = "PostgreSQL"
        else:
            database_url, drop, engine = f"sqlite:///{folder}/bench.db", (lambda: None), "SQLite"
        bench = Bench(database_url, Fernet.generate_key().decode(), args)
        rows = []
        WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
        with open(WORKER_LOG, "w") as log:
            try:
                for poll in polls:
                    rows.append((poll, bench.run(poll, log)))
            finally:
                with bench.app.app_context():
                    db.engine.dispose()
                drop()

    lines = [
        f"- {engine}, {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; backlog {args.events} changes over {args.subjects} subjects; "
        f"delay over {args.latency_events} changes at {args.rate:g}/s; worker --batch {args.batch} --concurrency {args.concurrency}",
        "",
        "| Database | Poll interval | Delivered/s (backlog) | Commit → delivery median | p99 |",
        "| --- | --- | ---: | ---: | ---: |",
        *(f"| {engine} | {poll:g} s | {result['throughput']:.0f} | {result['median']:.0f} ms | {result['p99']:.0f} ms |"
          for poll, result in rows),
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section(f"webhooks-{engine.lower()}", table, heading="Webhook delivery")

if __name__ == "__main__":
    main()
