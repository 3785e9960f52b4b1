"""Server benchmarks: the service's hot paths next to a one-SELECT baseline measured in the same run.

    .venv/bin/python bench/suite.py                     # 1,000,000 subjects / 10,000,000 events
    .venv/bin/python bench/suite.py --subjects 100000 --scales 1000 --duration 5   # a quick run

It creates a PostgreSQL database (--database-url, default consent_bench on the local server),
migrates it, loads it inside PostgreSQL (INSERT ... SELECT generate_series: no API call per
row; the consent-rate rollups are then rebuilt, since the loader bypasses record_events), starts
the real gunicorn with production settings and the baseline app (bench/baseline_app.py), loads
both from wrk on loopback (bounded in time), measures the token verifier in process, and writes
the results table into BENCHMARKS.md between its markers.

The load generator shares the machine's cores with the servers, and on a small shared VM one
run can be a third slower than the next. So the endpoints that have targets (a check, a consent
write, a banner choice) are measured in --rounds interleaved rounds, with a baseline run between
every two runs (B check B write B choice B check B ...): each target run is compared with the
mean of the baseline runs just before and after it, the ratio quoted is the median of those
per-round ratios, and its min-max is shown so the reader sees the noise. req/s, p50 and p99 are
medians over the runs. Other endpoints run once, against the median baseline; the check at the
smaller scales runs --rounds times. The ledger check counts events before the first write round
and after the last, against the writes wrk acknowledged in all of them.

Each gunicorn's output (its own log and the service's JSON access log, one line per request)
goes to a file in a temporary folder, as production ships it to a collector; the folder is
printed at the end, and the tail of a server's log if it died.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import importlib.util
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import mean, median

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.ledger_load import FILL_HEADS  # noqa: E402  (needs ROOT on the path)
from bench.sections import write_section  # noqa: E402  (needs ROOT on the path)
PURPOSES = ["marketing", "analytics", "recording", "advertising", "preferences"]
EVENTS_PER_SUBJECT = 10


@dataclass
class Run:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


@dataclass
class Measured:
    """One endpoint's runs: one run, or one per round with each run's ratios to the baseline runs beside it."""
    name: str
    runs: list[Run]
    ratios: list[float] = field(default_factory=list)  # req/s against the adjacent baselines, per round
    p99_ratios: list[float] = field(default_factory=list)  # p99 likewise

    @property
    def rps(self) -> float:
        return median(run.rps for run in self.runs)

    @property
    def p50_ms(self) -> float:
        return median(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return median(run.p99_ms for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def acknowledged(self) -> int:
        return sum(run.requests - run.errors for run in self.runs)

    def ratio(self, baseline: Measured) -> float:
        """req/s against the baseline: the median per-round ratio if there were rounds, else against its median."""
        return median(self.ratios) if self.ratios else self.rps / baseline.rps

    def p99_ratio(self, baseline: Measured) -> float:
        return median(self.p99_ratios) if self.p99_ratios else self.p99_ms / baseline.p99_ms

    def spread(self, baseline: Measured) -> str:
        """min-max of the req/s ratios: what one run alone could have claimed."""
        ratios = self.ratios or ([run.rps / baseline.rps for run in self.runs] if len(self.runs) > 1 else [])
        return f"{min(ratios):.0%}–{max(ratios):.0%}" if ratios else "—"


def main() -> None:
    started = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/consent_bench"))
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--scales", default="1000,100000", help="Smaller subject counts for the latency-vs-size runs")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5,
                        help="Interleaved rounds of the baseline and the endpoints with targets (and runs of the check "
                             "at each smaller scale); medians are quoted")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4,
                        help="Threads per worker, as gunicorn.conf.py sets in production (gthread when above 1); "
                             "the service and the baseline alike")
    parser.add_argument("--no-write", action="store_true", help="Print the table instead of writing BENCHMARKS.md")
    parser.add_argument("--replica-subjects", type=int, default=100_000,
                        help="Subjects loaded for the checks through a read replica (bench/replica_checks.py)")
    parser.add_argument("--replica-only", action="store_true",
                        help="Only the checks through a read replica next to the primary")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    logs = Path(tempfile.mkdtemp(prefix="consent-bench-logs-"))
    if args.replica_only:
        replica_section(args, logs)
        return
    rows: list[Measured] = []
    notes: list[str] = []
    scales = sorted({int(s) for s in args.scales.split(",") if s} | {args.subjects})
    latency_by_scale: dict[int, Measured] = {}
    load_notes: list[str] = []
    for subjects in scales:
        env, loaded = prepare_database(args.database_url, subjects)
        load_notes.append(loaded)
        with servers(env, args.workers, args.threads, logs / f"{subjects}-subjects") as (service, baseline, key, banner_key, admin_key):
            warm(service, key)
            checks = check_script(key, subjects)
            check_name = "POST /v1/checks (one subject, 3 purposes)"
            if subjects != args.subjects:
                name = f"{check_name} at {subjects:,} subjects"
                latency_by_scale[subjects] = Measured(name, [wrk(name, service, checks, args) for _ in range(args.rounds)])
                continue
            rss_warm = worker_rss(service)

            def once(name: str, script: str | None, path: str = "/") -> Measured:
                return Measured(name, [wrk(name, service, script, args, path=path)])

            # The reads that have no target run once, before the write rounds change the data.
            ceiling = once("stack ceiling: GET /healthz", None, path="/healthz")
            reads = [
                once("POST /v1/checks (batch of 100 subjects)", batch_script(key, subjects)),
                once("GET /v1/subjects/.../consents", state_script(key, subjects)),
                once("POST /v1/subjects/.../tokens (token issuing)", token_script(key, subjects)),
                once("GET /v1/banner/{key}", banner_script(banner_key, None)),
            ]
            etag = requests.get(f"{service}/v1/banner/{banner_key}", timeout=10).headers["ETag"]
            reads.append(once("GET /v1/banner/{key} (If-None-Match)", banner_script(banner_key, etag)))
            if reports_endpoint(service):
                reads.append(once("GET /v1/reports/consent-rates (30 days, admin)", reports_script(admin_key)))

            baseline_name = "baseline: one indexed SELECT"
            scripts = {
                check_name: checks,
                "POST .../consent-events (one event)": write_script(key, subjects),
                "POST /v1/banner/{key}/consents": choice_script(service, banner_key),
            }
            before = count_events(env["DATABASE_URL"])
            baselines, (check, write, choice) = interleaved(
                args.rounds,
                lambda: wrk(baseline_name, baseline, baseline_script(subjects), args),
                [(name, lambda name=name, script=script: wrk(name, service, script, args))
                 for name, script in scripts.items()],
            )
            written = count_events(env["DATABASE_URL"]) - before
            latency_by_scale[subjects] = check
            baseline_row = Measured(baseline_name, baselines)
            rows += [ceiling, baseline_row, check, *reads, write, choice]
            acknowledged = write.acknowledged + 3 * choice.acknowledged
            # wrk stops counting with up to one request per connection still in flight, and those still commit.
            in_flight = args.rounds * args.connections * (1 + 3)
            complete = acknowledged <= written <= acknowledged + in_flight
            notes.append(f"Ledger after the {args.rounds} write rounds: {written:,} new events for {acknowledged:,} "
                         f"acknowledged by wrk (plus at most {in_flight:,} from requests in flight when it stopped "
                         f"each run): {'complete' if complete else 'MISMATCH'}.")
            notes.append(rounds_note(baseline_row, [check, write, choice]))
            rss_after = worker_rss(service)
            notes.append(f"Worker RSS: {fmt_mb(rss_warm)} after warm-up, {fmt_mb(rss_after)} after the runs "
                         f"(ratio {max(a / w for a, w in zip(rss_after, rss_warm)):.2f}).")
            notes.append("Check query plan at full scale (the one statement of a check: generation, subject, "
                         "states and suppression; bench/suite.py `explain`):\n\n```\n"
                         + explain(env["DATABASE_URL"], subjects // 2) + "\n```")
            notes.append(reports_note(env["DATABASE_URL"]))
    notes.append(commit_latency(args.database_url))
    notes.append("Loading (inside PostgreSQL, indexes in place, then the rollup rebuild, VACUUM ANALYZE and a CHECKPOINT): "
                 + "; ".join(load_notes) + ".")
    elapsed = time.monotonic() - started
    table = render(args, rows, latency_by_scale, verifier_bench(), notes, elapsed)
    if not args.no_write:
        write_section("suite", table, heading="Server hot paths")
    print(table)
    replica_section(args, logs)
    size = sum(path.stat().st_size for path in logs.rglob("*.log"))
    print(f"Server logs (gunicorn and the JSON access log, one line per request; {size / 2**20:,.0f} MiB): {logs}")
    print(f"Took {elapsed / 60:.1f} min.")


def replica_section(args, logs: Path) -> None:
    """Checks through a streaming read replica next to the primary (bench/replica_checks.py), in this run."""
    from bench import replica_checks

    section = replica_checks.measure(args, logs)
    if not args.no_write:
        write_section("replica", section, heading="Checks through a read replica (issue 23)")
    print(section)


def interleaved(rounds: int, baseline: Callable[[], Run],
                targets: list[tuple[str, Callable[[], Run]]]) -> tuple[list[Run], list[Measured]]:
    """`rounds` rounds of the targets, with a baseline run before, between and after them: B T1 B T2 B T3 B T1 B ...

    Each target run is compared with the mean of the two baseline runs around it, so whatever else the machine
    was doing in those seconds weighs on both sides of the ratio, and drift over the suite cancels out."""
    baselines = [baseline()]
    measured = [Measured(name, []) for name, _ in targets]
    for number in range(rounds):
        print(f"round {number + 1} of {rounds}", flush=True)
        for result, (_, measure) in zip(measured, targets):
            run = measure()
            baselines.append(baseline())
            beside = baselines[-2:]
            result.runs.append(run)
            result.ratios.append(run.rps / mean(b.rps for b in beside))
            result.p99_ratios.append(run.p99_ms / mean(b.p99_ms for b in beside))
    return baselines, measured


def rounds_note(baseline: Measured, measured: list[Measured]) -> str:
    """Every round's figures, in order, so a reader can see the noise behind the medians."""
    parts = [f"{m.name} {', '.join(f'{r:.0%}' for r in m.ratios)}" for m in measured]
    return (f"Interleaved rounds (req/s of each run against the mean of the baseline runs just before and after it, "
            f"in the order run): {'; '.join(parts)}. Baseline runs: "
            + ", ".join(f"{run.rps:,.0f}" for run in baseline.runs) + " req/s.")


def prepare_database(url: str, subjects: int, settings: dict[str, str] | None = None) -> tuple[dict, str]:
    """A fresh database with `subjects` customers and ten events each, loaded inside PostgreSQL;
    and a line saying how long that took. `settings`: more of the service's environment."""
    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    env = service_env(url) | (settings or {})
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        # The generated rows are consistent by construction: skip the per-row foreign-key checks
        # (replica mode fires no ordinary triggers either; the ledger's only guards updates and deletes).
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO subjects (id, kind, external_id, revision, country, evidence_key, created_at, updated_at) "
            "SELECT g, 'customer', 'c-' || g, %s, 'DE', md5(random()::text) || md5(random()::text), now(), now() "
            "FROM generate_series(1, %s) g",
            (EVENTS_PER_SUBJECT, subjects),
        )
        conn.execute("SELECT setval('subjects_id_seq', %s)", (subjects,))
        columns = event_columns(conn)
        conn.execute(
            f"INSERT INTO consent_events ({', '.join(columns)}) SELECT {', '.join(columns[c] for c in columns)} "
            "FROM generate_series(1, %s) g, generate_series(1, %s) r",
            (subjects, EVENTS_PER_SUBJECT),
        )
        conn.execute(FILL_HEADS)
        conn.execute(
            "INSERT INTO consent_states (subject_id, purpose, decision, method, notice_version, regime, property_key, "
            "actor_type, event_id, event_recorded_at, revision, updated_at) "
            "SELECT DISTINCT ON (subject_id, purpose) subject_id, purpose, decision, method, notice_version, regime, "
            "property_key, actor_type, id, recorded_at, revision, recorded_at FROM consent_events "
            "ORDER BY subject_id, purpose, revision DESC"
        )
    loaded = time.monotonic() - started
    rebuilt = rebuild_rollups(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # The load's WAL would otherwise be flushed by checkpoints during the first measurements.
        conn.execute("CHECKPOINT")
    total = time.monotonic() - started
    line = (f"{subjects * EVENTS_PER_SUBJECT:,} events in {total:.0f} s ({loaded:.0f} s rows"
            + (f", {rebuilt:.0f} s rollup rebuild" if rebuilt is not None else "") + ")")
    print(f"loaded {subjects:,} subjects / {line}", flush=True)
    return env, line


def rebuild_rollups(url: str) -> float | None:
    """The loader bypasses record_events, so the consent-rate rollups are rebuilt from the ledger."""
    if importlib.util.find_spec("consent_service.reports.service") is None:
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from consent_service.config import normalize_database_url
    from consent_service.reports import service as reports

    if not hasattr(reports, "rebuild_rollups"):
        return None
    started = time.monotonic()
    engine = create_engine(normalize_database_url(url))
    try:
        with Session(engine) as session:
            reports.rebuild_rollups(session=session)
            session.commit()
    finally:
        engine.dispose()
    return time.monotonic() - started


def event_columns(conn) -> dict[str, str]:
    """Column -> SQL expression for generated events; hash-chain columns get placeholder digests
    (bench data is not a verifiable chain, and the benchmark does not verify it)."""
    purposes = "ARRAY[" + ", ".join(f"'{p}'" for p in PURPOSES) + "]"
    known = {
        "id": "'evt_' || g || '_' || r",
        "subject_id": "g",
        "revision": "r",
        "purpose": f"({purposes})[1 + r %% {len(PURPOSES)}]",
        "decision": "CASE WHEN r %% 3 = 0 THEN 'denied' ELSE 'granted' END",
        "method": "'api'",
        "notice_version": "'2026-01-01'",
        "regime": "'opt_in'",
        "country": "'DE'",
        "actor_type": "'subject'",
        "evidence": "'{}'::json",
        "recorded_at": f"now() - ({EVENTS_PER_SUBJECT} - r) * interval '1 day'",
    }
    rows = conn.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'consent_events'"
    ).fetchall()
    columns = {}
    for name, nullable in rows:
        if name in known:
            columns[name] = known[name]
        elif nullable == "NO":
            columns[name] = "md5(g || ':' || r)"
    return columns


def service_env(url: str) -> dict:
    return {
        **os.environ,
        "FLASK_APP": "wsgi",
        "CONSENT_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-production",
        "KEY_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"bench-only-key-of-thirty-two-by!").decode(),
        "DEMO_PAGE": "false",
        "RATELIMIT_ENABLED": "false",  # the benchmark is one IP on purpose
        "ERASURE_PEPPER": "bench-erasure-pepper-that-is-long-enough",
        "TOKEN_ISSUER": "http://127.0.0.1:8000",  # servers() sets the port it serves on
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def servers(env: dict, workers: int, threads: int = 1, logs: Path | None = None):
    """The service and the baseline under gunicorn, a key, an admin key and a property.

    Each server's output goes to `logs`/<name>.log (a new temporary folder if not given); the tail of a log is
    printed if its server died or gunicorn reported a worker lost."""
    flask = [sys.executable, "-m", "flask"]
    key = subprocess.run(flask + ["keys", "create", "--name", "bench", "--scope", "consents:read", "--scope",
                                  "consents:write", "--scope", "tokens:issue"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    admin_key = subprocess.run(flask + ["keys", "create", "--name", "bench-admin", "--scope", "admin"], env=env,
                               cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    service_port, baseline_port = free_port(), free_port()
    env = env | {"TOKEN_ISSUER": f"http://127.0.0.1:{service_port}"}
    banner_key = subprocess.run(flask + ["properties", "create", "--name", "Bench", "--origin", "https://bench.example",
                                         "--notice-version", "2026-01-01", "--notice-url", "https://bench.example/p"],
                                env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    logs = Path(tempfile.mkdtemp(prefix="consent-bench-logs-")) if logs is None else logs
    logs.mkdir(parents=True, exist_ok=True)
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                "--log-level", "warning"]
    processes = {}
    for name, port, app in (("service", service_port, "wsgi:app"), ("baseline", baseline_port, "bench.baseline_app:app")):
        with open(logs / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            processes[name] = subprocess.Popen(gunicorn + ["--bind", f"127.0.0.1:{port}", app], env=env, cwd=ROOT,
                                               stdout=log, stderr=subprocess.STDOUT)
    try:
        for port, path in ((service_port, "/healthz"), (baseline_port, "/openapi.json")):
            wait_up(f"http://127.0.0.1:{port}{path}")
        yield f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{baseline_port}", key, banner_key, admin_key
    finally:
        died = {name for name, process in processes.items() if process.poll() is not None}
        for name, process in processes.items():
            if name not in died:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=30)
        for name in processes:
            report_failures(name, logs / f"{name}.log", died=name in died)


# gunicorn's own lines ("[time] [pid] [LEVEL] message"): a worker timed out, was killed or failed to boot.
GUNICORN_FAILURE = re.compile(r"^\[[^]]+\] \[\d+\] \[(?:ERROR|CRITICAL)\] ")


def report_failures(name: str, log: Path, *, died: bool) -> None:
    """Print the tail of a server's log if it died, and gunicorn's reports of lost workers if there were any."""
    with open(log, errors="replace") as handle:
        failures = [line.rstrip() for line in handle if GUNICORN_FAILURE.match(line)]
    if not died and not failures:
        return
    print(f"\n{name} {'DIED' if died else 'lost workers'}; its log is {log}", file=sys.stderr)
    if failures:
        print("gunicorn reported:\n" + "\n".join(failures[-20:]), file=sys.stderr)
    print("tail of the log:\n" + tail(log), file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 40) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 64 * 1024))
        return b"\n".join(handle.read().splitlines()[-lines:]).decode(errors="replace")


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def warm(service: str, key: str) -> None:
    for n in range(200):
        requests.post(f"{service}/v1/checks", json={"subject": {"kind": "customer", "id": f"c-{n + 1}"},
                      "purposes": ["marketing"]}, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def lua(method: str, path: str, body: str | None, headers: dict[str, str], setup: str = "") -> str:
    header_table = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    body_expr = body if body is not None else "nil"
    return f"""{setup}
math.randomseed(os.time())
request = function()
  local n = math.random(1, SUBJECTS)
  return wrk.format("{method}", {path}, {{{header_table}}}, {body_expr})
end
"""


def auth(key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}


def with_subjects(script: str, subjects: int) -> str:
    return script.replace("SUBJECTS", str(subjects))


def check_script(key: str, subjects: int) -> str:
    body = '\'{"subject":{"kind":"customer","id":"c-\' .. n .. \'"},"purposes":["marketing","analytics","recording"],"country":"DE"}\''
    return with_subjects(lua("POST", '"/v1/checks"', body, auth(key)), subjects)


def batch_script(key: str, subjects: int) -> str:
    item = '{"subject":{"kind":"customer","id":"c-\' .. ((n + i) % SUBJECTS + 1) .. \'"},"purposes":["marketing"]}'
    setup = ""
    script = lua("POST", '"/v1/checks"', "body", auth(key), setup)
    script = script.replace("  return wrk.format", "  local items = {}\n  for i = 1, 100 do items[i] = '" + item +
                            "' end\n  local body = '{\"checks\":[' .. table.concat(items, ',') .. ']}'\n  return wrk.format")
    return with_subjects(script, subjects)


def state_script(key: str, subjects: int) -> str:
    return with_subjects(lua("GET", '"/v1/subjects/customer/c-" .. n .. "/consents"', None, auth(key)), subjects)


def token_script(key: str, subjects: int) -> str:
    return with_subjects(lua("POST", '"/v1/subjects/customer/c-" .. n .. "/tokens"', "'{}'", auth(key)), subjects)


def write_script(key: str, subjects: int) -> str:
    body = '\'{"events":[{"purpose":"marketing","decision":"denied","method":"api"}],"notice_version":"2026-01-01","country":"DE"}\''
    return with_subjects(lua("POST", '"/v1/subjects/customer/c-" .. n .. "/consent-events"', body, auth(key)), subjects)


def banner_script(banner_key: str, etag: str | None) -> str:
    headers = {"Origin": "https://bench.example"} | ({"If-None-Match": etag.replace('"', '\\"')} if etag else {})
    return with_subjects(lua("GET", f'"/v1/banner/{banner_key}?lang=en&country=DE"', None, headers), 1)


def choice_script(service: str, banner_key: str) -> str:
    config = requests.get(f"{service}/v1/banner/{banner_key}?lang=en&country=DE", timeout=10).json()
    body = ('\'{"choices":{"preferences":true,"analytics":true,"advertising":false},"method":"banner_custom",'
            f'"notice_version":"{config["notice"]["version"]}","banner_version":"{config["banner_version"]}"}}\'')
    headers = {"Content-Type": "application/json", "Origin": "https://bench.example"}
    return with_subjects(lua("POST", f'"/v1/banner/{banner_key}/consents"', body, headers), 1)


def reports_endpoint(service: str) -> bool:
    spec = requests.get(f"{service}/openapi.json", timeout=10).json()
    return "/v1/reports/consent-rates" in spec.get("paths", {})


def reports_script(admin_key: str) -> str:
    today = datetime.now(timezone.utc).date()
    query = f"from={today - timedelta(days=29)}&to={today}"
    return with_subjects(lua("GET", f'"/v1/reports/consent-rates?{query}"', None, auth(admin_key)), 1)


def reports_note(url: str) -> str:
    """bench/reports_bench.py's timings of the consent-rate service calls, on this database."""
    path = ROOT / "bench" / "reports_bench.py"
    if not path.exists():
        return "Reports: bench/reports_bench.py is not there; no figure."
    spec = importlib.util.spec_from_file_location("reports_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.run(url)
    timings = ", ".join(f"{name.removesuffix('_ms').replace('_', ' ')} {value} ms" for name, value in results.items()
                        if name.endswith("_ms"))
    return (f"Reports (`bench/reports_bench.py`, service calls, median of {results.get('runs')}, "
            f"{results.get('range_days')} days over {results.get('events', 0):,} events, "
            f"{results.get('rollup_rows', 0):,} rollup rows): {timings}.")


def commit_latency(admin_url: str, commits: int = 500) -> str:
    """How long one durable commit takes here: the floor under every write, whatever the code does."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("fsync", "synchronous_commit", "wal_sync_method", "full_page_writes")}
        conn.execute("DROP TABLE IF EXISTS bench_commit_probe")
        conn.execute("CREATE TABLE bench_commit_probe (n int)")  # a logged table: temporary ones skip the WAL
        timings = []
        try:
            for n in range(commits):
                started = time.perf_counter()
                conn.execute("INSERT INTO bench_commit_probe VALUES (%s)", (n,))  # autocommit: one WAL flush each
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            conn.execute("DROP TABLE bench_commit_probe")
    timings.sort()
    facts = ", ".join(f"{k}={v}" for k, v in settings.items())
    return (f"PostgreSQL commit latency ({commits} sequential one-row autocommit INSERTs, {facts}): "
            f"median {timings[len(timings) // 2]:.2f} ms, p99 {timings[int(len(timings) * 0.99)]:.2f} ms.")


def baseline_script(subjects: int) -> str:
    body = '\'{"kind":"customer","id":"c-\' .. n .. \'"}\''
    return with_subjects(lua("POST", '"/baseline/lookup"', body, {"Content-Type": "application/json"}), subjects)


def wrk(name: str, base: str, script: str | None, args, path: str = "/") -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script or "")
    command = ["wrk", "--latency", "-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "--timeout", "10s"]
    if script:
        command += ["-s", handle.name]
    output = subprocess.run(command + [base + (path if not script else "/")], capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    run = Run(
        name=name,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=to_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        p99_ms=to_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        errors=sum(int(m) for m in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
        + sum(int(m) for m in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
    )
    print(f"{name}: {run.rps:.0f} req/s, p50 {run.p50_ms:.2f} ms, p99 {run.p99_ms:.2f} ms, errors {run.errors}", flush=True)
    settle(base)
    return run


def settle(base: str) -> None:
    """Wait until requests queued by the last run are served, so the next run starts idle."""
    deadline = time.monotonic() + 120
    quick = refused = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            requests.get(f"{base}/openapi.json", timeout=30)
        except requests.Timeout:
            quick = 0
            continue
        except requests.ConnectionError:
            # Refused: nothing listens any more (a replaced worker is back well within these 5 s).
            refused += 1
            if refused > 50:
                raise RuntimeError(f"{base} refuses connections: its gunicorn is gone") from None
            time.sleep(0.1)
            continue
        refused = 0
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def count_events(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM consent_events").fetchone()[0]


def worker_rss(base: str) -> list[int]:
    """RSS (bytes) of the gunicorn workers serving `base`, from /proc."""
    port = base.rsplit(":", 1)[1]
    master = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port} wsgi:app"], capture_output=True, text=True).stdout.split()
    rss = []
    for pid in subprocess.run(["pgrep", "-P", master[0]], capture_output=True, text=True).stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        rss.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024)
    return sorted(rss)


def fmt_mb(values: list[int]) -> str:
    return ", ".join(f"{v / 2**20:.0f} MiB" for v in values)


def explain(url: str, subject: int) -> str:
    """EXPLAIN ANALYZE of the service's own check statement (stores/lookup.py), values inlined."""
    from sqlalchemy.dialects import postgresql

    from consent_service.flows.record_consent import store_guards
    from consent_service.stores import lookup
    from consent_service.subjects.service import pseudonym

    external_id = f"c-{subject}"
    purposes = ["marketing", "analytics", "recording"]
    values = {"kind_0": "customer", "external_id_0": external_id,
              **{f"purpose_{index}": purpose for index, purpose in enumerate(purposes)},
              "pseudonym_0": pseudonym(pepper=service_env(url)["ERASURE_PEPPER"], kind="customer", external_id=external_id)}
    statement = lookup._statement(store_guards(), 1, len(purposes), True).params(values)
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True, "render_postcompile": True}))
    with psycopg.connect(url) as conn:
        return "\n".join(row[0] for row in conn.execute(f"EXPLAIN ANALYZE {sql}"))


def verifier_bench() -> dict[str, float]:
    """Verifications per second on one core (verifier: consent_verifier, raw: Ed25519, pyjwt: plain PyJWT)
    and ratio: the median of the rounds' verifier/raw ratios (bench/verify_bench.py)."""
    code = ROOT / "bench" / "verify_bench.py"
    output = subprocess.run([sys.executable, str(code)], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return {name: float(value) for name, value in re.findall(r"(\w+)=([\d.]+)", output)}


def render(args, rows: list[Measured], by_scale: dict[int, Measured], verifier: dict[str, float],
           notes: list[str], elapsed: float) -> str:
    baseline = next(r for r in rows if r.name.startswith("baseline"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [
        f"- Command: `{' '.join(['.venv/bin/python', 'bench/suite.py'] + sys.argv[1:])}` (`make bench`), "
        f"{elapsed / 60:.0f} min with the loading",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, PostgreSQL on the same machine; "
        f"wrk ({args.connections} connections, {args.duration} s per run) shares the cores with the servers",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}; gunicorn {args.workers} workers x "
        f"{args.threads} threads ({'gthread' if args.threads > 1 else 'sync'}) for the service and the baseline alike, "
        f"production settings, JSON access log on (to a file); {args.subjects:,} subjects / "
        f"{args.subjects * EVENTS_PER_SUBJECT:,} events loaded",
        f"- The baseline and the endpoints with targets ran in {args.rounds} interleaved rounds (baseline, check, "
        "baseline, write, baseline, banner choice, baseline, ...): their req/s, p50 and p99 are medians over the "
        "runs, \"vs baseline\" is the median of each run's ratio to the mean of the baseline runs just before and "
        "after it, and \"range\" the lowest and highest of those ratios. The other endpoints ran once, against the "
        "median baseline.",
        "",
        "| Run | runs | req/s | vs baseline | range | p50 ms | p99 ms | p99 vs baseline | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(f"| {row.name} | {len(row.runs)} | {row.rps:,.0f} | {row.ratio(baseline):.0%} | "
                     f"{row.spread(baseline)} | {row.p50_ms:.2f} | {row.p99_ms:.2f} | "
                     f"{row.p99_ratio(baseline):.2f}x | {row.errors} |")
    lines += ["", "Check latency against the size of the ledger (medians of the runs):", "",
              "| Subjects | Events | runs | req/s | p50 ms | p99 ms | p99 range ms |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for subjects, row in sorted(by_scale.items()):
        p99s = [run.p99_ms for run in row.runs]
        lines.append(f"| {subjects:,} | {subjects * EVENTS_PER_SUBJECT:,} | {len(row.runs)} | {row.rps:,.0f} | "
                     f"{row.p50_ms:.2f} | {row.p99_ms:.2f} | {min(p99s):.2f}–{max(p99s):.2f} |")
    lines += ["", "Targets (issue 9), from the medians above:", ""] + [f"- {line}" for line in targets(rows, by_scale, verifier, notes)]
    lines += ["", f"Token verification on one core (medians of interleaved rounds; the ratio is the median of the "
              f"rounds' ratios): consent_verifier {verifier['verifier']:,.0f}/s, raw Ed25519 (cryptography) "
              f"{verifier['raw']:,.0f}/s ({verifier['ratio']:.0%}), plain PyJWT {verifier['pyjwt']:,.0f}/s "
              f"({verifier['pyjwt'] / verifier['raw']:.0%}).", ""]
    lines += [f"{note}\n" for note in notes]
    return "\n".join(lines)


def targets(rows: list[Measured], by_scale: dict[int, Measured], verifier: dict[str, float],
            notes: list[str]) -> list[str]:
    baseline = next(r for r in rows if r.name.startswith("baseline"))
    by_name = {r.name: r for r in rows}
    lines = []

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    check = by_name["POST /v1/checks (one subject, 3 purposes)"]
    ratio, p99 = check.ratio(baseline), check.p99_ratio(baseline)
    lines.append(f"checks ≥ 90% of baseline throughput and p99 ≤ 1.5× baseline p99: {ratio:.0%} "
                 f"(rounds {check.spread(baseline)}), {p99:.2f}× — {verdict(ratio >= 0.9 and p99 <= 1.5)}")
    if len(by_scale) > 1:
        smallest, largest = by_scale[min(by_scale)], by_scale[max(by_scale)]
        growth = largest.p99_ms / smallest.p99_ms
        lines.append(f"check p99 at {max(by_scale) * EVENTS_PER_SUBJECT:,} events within 1.5× of "
                     f"{min(by_scale) * EVENTS_PER_SUBJECT:,}: {growth:.2f}× — {verdict(growth <= 1.5)}")
    ledger_complete = any("complete" in n and "MISMATCH" not in n for n in notes if n.startswith("Ledger"))
    for name, label in (("POST .../consent-events (one event)", "consent writes"), ("POST /v1/banner/{key}/consents", "banner choices")):
        row = by_name[name]
        ratio = row.ratio(baseline)
        lines.append(f"{label} ≥ 50% of baseline with durable commits, zero errors, ledger complete: {ratio:.0%} "
                     f"(rounds {row.spread(baseline)}), {row.errors} errors, "
                     f"ledger {'complete' if ledger_complete else 'MISMATCH'} — "
                     f"{verdict(ratio >= 0.5 and row.errors == 0 and ledger_complete)}")
    lines.append(f"verifier ≥ 85% of raw Ed25519: {verifier['ratio']:.0%} — {verdict(verifier['ratio'] >= 0.85)}")
    rss = next((n for n in notes if n.startswith("Worker RSS")), "")
    ratio = float(re.search(r"ratio ([\d.]+)", rss).group(1)) if "ratio" in rss else float("nan")
    lines.append(f"worker RSS flat (≤ 1.2× after the runs): {ratio:.2f} — {verdict(ratio <= 1.2)}")
    gzipped = len(gzip.compress((ROOT / "consent_service" / "static" / "consent.js").read_bytes(), 9))
    lines.append(f"consent.js ≤ 8 KiB gzip: {gzipped:,} B ({gzipped / 1024:.1f} KiB; peers under Banner script size) — "
                 f"{verdict(gzipped <= 8 * 1024)}")
    return lines


if __name__ == "__main__":
    main()
