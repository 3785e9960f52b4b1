"""Checks answered by a streaming read replica next to the same checks answered by the primary, in one run.

    .venv/bin/python bench/suite.py                       # after the hot paths, at --replica-subjects
    .venv/bin/python bench/suite.py --replica-only --replica-subjects 20000 --rounds 2 --duration 5

It starts its own PostgreSQL primary and streaming hot standby on free loopback ports
(tests/streaming_replica.py, the pair the replica tests use; it imports nothing of the tests but the
standard library and psycopg), loads the subjects on the primary, waits until the standby has replayed
them, and runs two services side by side on that data: one without replicas (every check reads the
primary) and one with DATABASE_REPLICA_URLS naming the standby (checks read it; the generation that
authenticates still comes from the primary). The baseline runs between them, in interleaved rounds as
in suite.py. Both servers of the pair run on this machine, with the services and wrk: the figures show
what routing costs per check, not the capacity a replica on its own machine adds. The pair runs
without fsync (throwaway): the services start with DURABILITY_CHECK=warn, which reads do not notice.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.suite import (
    ROOT,
    Measured,
    baseline_script,
    batch_script,
    check_script,
    free_port,
    interleaved,
    prepare_database,
    report_failures,
    rounds_note,
    servers,
    wait_up,
    wrk,
)
from tests.streaming_replica import ReplicationUnavailable, StreamingPair

DATABASE = "consent_bench_replica"
HEADER = "X-Consent-Read"


def measure(args, logs: Path) -> str:
    """The replica section of BENCHMARKS.md: a table of checks on the primary and on the replica, and notes."""
    subjects = args.replica_subjects
    load = os.getloadavg()[0]
    try:
        pair = StreamingPair.start()
    except (ReplicationUnavailable, OSError, subprocess.TimeoutExpired) as error:
        return f"Checks through a read replica were not measured: no streaming pair could be started ({error})."
    try:
        env, loaded = prepare_database(pair.primary.url(DATABASE), subjects, {"DURABILITY_CHECK": "warn"})
        pair.wait_replayed(timeout=1800)
        routed = env | {"DATABASE_REPLICA_URLS": pair.replica.url(DATABASE)}
        with servers(env, args.workers, args.threads, logs / "replica-primary") as (primary, baseline, key, _, _), \
                service(routed, args.workers, args.threads, logs / "replica-routed") as replica:
            for base, expected in ((primary, "primary"), (replica, "replica")):
                said = answered_from(base, key)
                if said != {expected}:
                    raise RuntimeError(f"{base} answered checks from {said}, not {expected}")
            name = "POST /v1/checks (one subject, 3 purposes)"
            checks = check_script(key, subjects)
            baselines, (on_primary, on_replica) = interleaved(
                args.rounds,
                lambda: wrk("baseline: one indexed SELECT", baseline, baseline_script(subjects), args),
                [(f"{name}, primary", lambda: wrk(f"{name}, primary", primary, checks, args)),
                 (f"{name}, replica", lambda: wrk(f"{name}, replica", replica, checks, args))],
            )
            batches = [Measured(f"POST /v1/checks (batch of 100), {where}",
                                [wrk(f"batch, {where}", base, batch_script(key, subjects), args)])
                       for where, base in (("primary", primary), ("replica", replica))]
            still = answered_from(replica, key)
            skipped = skips(replica)
    finally:
        pair.stop()
    baseline_row = Measured("baseline: one indexed SELECT (on the primary)", baselines)
    rows = [baseline_row, on_primary, on_replica, *batches]
    lines = [
        f"- Command: `{' '.join(['.venv/bin/python', 'bench/suite.py'] + sys.argv[1:])}`; "
        f"{subjects:,} subjects loaded on a test-owned primary ({loaded}), replayed by its streaming standby; "
        f"gunicorn {args.workers} workers x {args.threads} threads per service, wrk {args.connections} connections, "
        f"{args.duration} s per run, {args.rounds} interleaved rounds",
        f"- Machine: {os.cpu_count()} cores shared by the primary, the standby, both services, the baseline and wrk; "
        f"load average {load:.1f} before the run (other work on the machine weighs on every figure)",
        "",
        "| Run | runs | req/s | vs baseline | range | p50 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(f"| {row.name} | {len(row.runs)} | {row.rps:,.0f} | {row.ratio(baseline_row):.0%} | "
                     f"{row.spread(baseline_row)} | {row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.errors} |")
    lines += [
        "",
        f"Replica over primary, single checks: {on_replica.rps / on_primary.rps:.0%} of the req/s (medians), p50 "
        f"{on_replica.p50_ms:.2f} against {on_primary.p50_ms:.2f} ms: a check routed to the replica reads the "
        "subject there and the generation on the primary, two round trips where the primary alone needs one. "
        f"After the runs the routed service still answered from {sorted(still)}; reads it sent to the primary "
        f"instead: {skipped or 'none'}.",
        "",
        rounds_note(baseline_row, [on_primary, on_replica]),
    ]
    return "\n".join(lines)


def answered_from(base: str, key: str) -> set[str]:
    """What X-Consent-Read said over a few checks."""
    said = set()
    for n in range(20):
        response = requests.post(f"{base}/v1/checks", json={"subject": {"kind": "customer", "id": f"c-{n + 1}"},
                                                           "purposes": ["marketing"], "country": "DE"},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=10)
        response.raise_for_status()
        said.add(response.headers[HEADER])
    return said


def skips(base: str) -> dict[str, float]:
    """consent_replica_skips_total by reason, from the service's /metrics."""
    found = {}
    for line in requests.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("consent_replica_skips_total{"):
            labels, _, value = line.rpartition(" ")
            found[labels.split('"')[1]] = float(value)
    return found


@contextmanager
def service(env: dict, workers: int, threads: int, logs: Path) -> Iterator[str]:
    """One more gunicorn of the service (no baseline, no keys: the database already holds them)."""
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = env | {"TOKEN_ISSUER": f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--log-level", "warning", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with open(logs / "service.log", "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        died = process.poll() is not None
        if not died:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        report_failures("routed service", logs / "service.log", died=died)
