"""Retention on a large ledger: dropping whole monthly partitions (this branch) against deleting rows (before).

    .venv/bin/python bench/partition_bench.py --events 10000000 --per-subject 500 [--before-checkout /path]

Builds, on the PostgreSQL of TEST_POSTGRES_URL, two databases holding the same ledger: `--events` events of
visitors whose chains end in one of twelve months about two years ago (each visitor's chain within its
month), plus a few customers of this month who rely on a grant. The chains are real (SHA-256 links
computed in SQL with the service's canonical form; the first chain is re-hashed in Python to prove it),
the states are the fold of the chains, the rollup is rebuilt from the ledger. One database is migrated
to this branch's head (a partitioned ledger), the other to 0026 and run with the code of
`--before-checkout` (a checkout of main, the row-deleting retention). Then `flask retention run` runs
on each, timed, and `flask ledger verify` after it. With `--same-ledger-checkout`, that checkout's code
runs first on a copy of the very same partitioned ledger (CREATE DATABASE ... TEMPLATE): two versions of
the month drop timed on one build. It also prints what a row costs on disk
(pg_column_size, pg_total_relation_size), for docs/scaling.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.ledger_load import FILL_HEADS  # noqa: E402  (needs ROOT on the path)

from consent_service import create_app  # noqa: E402
from consent_service.consents import chain  # noqa: E402
from consent_service.extensions import db  # noqa: E402
from consent_service.ledger import partitions  # noqa: E402
from consent_service.reports import service as reports  # noqa: E402
from tests.conftest import ENCRYPTION_KEY, settings_for  # noqa: E402

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MONTHS = 12
KEPT_CUSTOMERS = 20
DIGEST = '{"actor_id":null,"evidence":{}}'  # chain._canonical of an event with no actor nor evidence

# One event as consent_events holds it, and its canonical content (consents/chain.py `content`), both
# from (subject s, revision r, previous hash p) of the recursive query below.
EVENT_COLUMNS = (
    "id, subject_id, revision, purpose, decision, method, notice_version, regime, actor_type, evidence, "
    "recorded_at, personal_digest, prev_hash, hash"
)


def content(*, id_: str, subject: str, revision: str, decision: str, digest: str, at: str) -> str:
    """SQL for chain._canonical(chain.content(event)) of such an event, from SQL expressions of its columns."""
    return f"""('{{"actor_type":"subject","age":null,"banner_version":null,"country":null,"decision":"' || {decision}
      || '","destination_country":null,"id":"' || {id_} || '","language":null,"method":"banner_custom",'
      || '"notice_version":"v1","personal_digest":"' || {digest} || '","property":null,"purpose":"analytics",'
      || '"recorded_at":"' || to_char({at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      || '","regime":"opt_in","revision":' || {revision} || ',"subject":' || {subject} || '}}')"""


def link(prev: str, body: str) -> str:
    return f"encode(sha256(convert_to({prev} || E'\\n' || {body}, 'UTF8')), 'hex')"


def event_id(at: str, subject: str, revision: str) -> str:
    """Like clock.new_time_ordered_id: the millisecond, then (here) a unique tail instead of random bits."""
    return (f"'evt_' || lpad(to_hex((extract(epoch FROM {at}) * 1000)::bigint), 12, '0') "
            f"|| lpad(to_hex({subject} * 100000 + {revision}), 16, '0')")


def _admin(statement: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(statement)


def _exists(name: str) -> bool:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _migrate(name: str, revision: str) -> None:
    from flask_migrate import upgrade

    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name}")
    app = create_app(settings_for(_url(name)))
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def _month(now: datetime, back: int) -> datetime:
    month = partitions.month_start(now)
    for _ in range(back):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def build(name: str, checkout: Path, *, subjects: int, per_subject: int, now: datetime, partitioned: bool) -> float:
    """Fill the migrated database `name`; seconds taken."""
    started = time.perf_counter()
    months = [_month(now, 30 - index) for index in range(MONTHS)]
    with psycopg.connect(_url(name), autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        if partitioned:
            app = create_app(settings_for(_url(name)))
            with app.app_context():
                for month in months:
                    partitions.ensure_months(session=db.session, now=month, ahead=0)
                db.session.commit()
                db.engine.dispose()
        month_list = ", ".join(f"'{month.isoformat()}'::timestamptz" for month in months)
        # Subject i ends its chain in month i % 12, its events a millisecond apart.
        connection.execute(f"""
            INSERT INTO subjects (id, kind, external_id, revision, evidence_key, restricted, created_at, updated_at)
            SELECT i, 'visitor', 'v-' || i, {per_subject}, encode(gen_random_bytes(32), 'hex'), false,
                   (ARRAY[{month_list}])[i % {MONTHS} + 1] + (i / {MONTHS}) * interval '1 minute',
                   (ARRAY[{month_list}])[i % {MONTHS} + 1] + (i / {MONTHS}) * interval '1 minute'
                     + {per_subject} * interval '1 millisecond'
              FROM generate_series(1, {subjects}) AS i""")
        connection.execute(
            f"CREATE TEMP TABLE digests AS SELECT id, encode(hmac('{DIGEST}', decode(evidence_key, 'hex'), "
            "'sha256'), 'hex') AS digest, created_at FROM subjects"
        )
        batch = max(1, 500_000 // per_subject)
        for first_id in range(1, subjects + 1, batch):
            last_id = min(subjects, first_id + batch - 1)
            first = content(id_="x.id", subject="d.id", revision="1", decision="'granted'", digest="d.digest",
                            at="x.at")
            following = content(id_="n.id", subject="n.subject_id", revision="n.revision", decision="n.decision",
                                digest="n.digest", at="n.recorded_at")
            connection.execute(f"""
                INSERT INTO consent_events ({EVENT_COLUMNS})
                WITH RECURSIVE events (subject_id, revision, recorded_at, digest, id, decision, prev_hash, hash) AS (
                  SELECT d.id, 1, x.at, d.digest, x.id, 'granted', '{chain.GENESIS}', {link(f"'{chain.GENESIS}'", first)}
                    FROM digests d,
                         LATERAL (SELECT d.created_at + interval '1 millisecond' AS at) t,
                         LATERAL (SELECT {event_id("t.at", "d.id", "1")} AS id, t.at) x
                   WHERE d.id BETWEEN {first_id} AND {last_id}
                  UNION ALL
                  SELECT n.subject_id, n.revision, n.recorded_at, n.digest, n.id, n.decision, e.hash,
                         {link("e.hash", following)}
                    FROM events e,
                         LATERAL (SELECT e.recorded_at + interval '1 millisecond' AS at) t,
                         LATERAL (SELECT e.subject_id, e.revision + 1 AS revision, t.at AS recorded_at, e.digest,
                                         {event_id("t.at", "e.subject_id", "e.revision + 1")} AS id,
                                         CASE WHEN e.revision % 2 = 1 THEN 'denied' ELSE 'granted' END AS decision) n
                   WHERE e.revision < {per_subject}
                )
                SELECT id, subject_id, revision, 'analytics', decision, 'banner_custom', 'v1', 'opt_in', 'subject',
                       '{{}}', recorded_at, digest, prev_hash, hash FROM events""")
            print(f"  {name}: events of subjects {first_id}..{last_id} of {subjects}", file=sys.stderr, flush=True)
        connection.execute(FILL_HEADS)
        state_column = ", event_recorded_at" if partitioned else ""
        state_value = ", recorded_at" if partitioned else ""
        connection.execute(f"""
            INSERT INTO consent_states (subject_id, purpose, decision, method, notice_version, regime, property_key,
                                        actor_type, destinations, notified_at, event_id, revision, updated_at
                                        {state_column})
            SELECT subject_id, purpose, decision, method, notice_version, regime, NULL, actor_type, NULL, NULL, id,
                   revision, recorded_at {state_value}
              FROM consent_events WHERE revision = {per_subject}""")
        connection.execute(f"SELECT setval(pg_get_serial_sequence('subjects', 'id'), {subjects})")
        connection.execute("ANALYZE")
    _kept_customers(checkout, name, now)
    app = create_app(settings_for(_url(name)))
    with app.app_context():
        reports.rebuild_rollups(session=db.session)
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


KEPT = """
import sys
from datetime import datetime
from consent_service import create_app
from consent_service.consents import service as consents
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from tests.conftest import settings_for

app = create_app(settings_for(sys.argv[1]))
with app.app_context():
    for number in range(int(sys.argv[2])):
        record_consent(
            session=db.session, kind="customer", external_id=f"c-{number}",
            events=[consents.EventInput(purpose="marketing", decision=Decision.GRANTED, method=Method.API)],
            context=consents.EventContext(notice_version="v1"), rules=runtime().rules,
            now=datetime.fromisoformat(sys.argv[3]),
        )
    db.session.commit()
"""


def _kept_customers(checkout: Path, name: str, now: datetime) -> None:
    """Customers of this month who rely on a grant, written by the checkout's own code: they stay."""
    subprocess.run([sys.executable, "-c", KEPT, _url(name), str(KEPT_CUSTOMERS), now.isoformat()], cwd=checkout,
                   check=True, capture_output=True)


def prove_one_chain(name: str) -> None:
    """Re-hash subject 1's chain with the service's own code: the SQL above wrote real chains."""
    from sqlalchemy import select

    from consent_service.consents.models import ConsentEvent

    app = create_app(settings_for(_url(name)))
    with app.app_context():
        events = db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.subject_id == 1).order_by(ConsentEvent.revision)
        ).all()
        previous = chain.GENESIS
        for event in events:
            assert event.prev_hash == previous and chain.link_hash(previous, event) == event.hash, event.revision
            previous = event.hash
        db.session.remove()  # its connection back to the pool, which dispose closes: the database is copied next
        db.engine.dispose()


def sizes(name: str) -> dict[str, float]:
    """Bytes per row on disk: the row itself (pg_column_size) and with its indexes and TOAST."""
    with psycopg.connect(_url(name)) as connection:
        figures = {}
        for table in ("consent_events", "consent_states", "subjects", "consent_rollups"):
            rows, column_size = connection.execute(
                f"SELECT count(*), avg(pg_column_size(t.*)) FROM {table} t"
            ).fetchone()
            total = connection.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "WHERE c.oid = %s::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                (table, table),
            ).fetchone()[0]
            figures[f"{table}.rows"] = rows
            figures[f"{table}.row_bytes"] = float(column_size or 0)
            figures[f"{table}.bytes_per_row_with_indexes"] = total / rows if rows else 0.0
        return figures


def flask(checkout: Path, name: str, *args: str) -> tuple[float, str, int]:
    env = {
        **os.environ,
        "FLASK_APP": "consent_service:create_cli_app",
        "CONSENT_ENV": "testing",
        "DATABASE_URL": _url(name),
        "SECRET_KEY": "bench-secret-key-long-enough-for-production",
        "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ERASURE_PEPPER": "bench-erasure-pepper-long-enough-for-production",
    }
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=checkout, capture_output=True, text=True)
    summary = [line for line in done.stdout.splitlines() if not line.startswith("removed visitor #")]
    return time.perf_counter() - started, "\n".join(summary[-3:]) + done.stderr[-300:], done.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-subject", type=int, default=500)
    parser.add_argument("--before-checkout", type=Path, help="a checkout of the code before (main): its retention")
    parser.add_argument("--before-revision", default="0026_outgoing_mail")
    parser.add_argument("--before-only", action="store_true", help="only the database of --before-checkout")
    parser.add_argument("--verify-before", action="store_true", help="verify the whole built ledger first (slow)")
    parser.add_argument("--same-ledger-checkout", type=Path,
                        help="also run this checkout's retention (e.g. main's month drop) on a copy of the same "
                             "partitioned ledger, before this branch's: a before/after on one build")
    parser.add_argument("--keep", action="store_true",
                        help="keep the built partitioned ledger and time retention on a copy of it; a later run with "
                             "--keep (and the same --events) reuses it instead of building it again")
    args = parser.parse_args()
    subjects = args.events // args.per_subject
    now = datetime.now(UTC)
    runs = [] if args.before_only else [("consent_bench_partitioned", "head", ROOT, True)]
    if args.before_checkout:
        runs.insert(0, ("consent_bench_rows", args.before_revision, args.before_checkout, False))
    for name, revision, checkout, partitioned in runs:
        kept = partitioned and args.keep
        if kept and _exists(name):
            print(f"{name}: reusing the ledger built before (--keep)")
        else:
            _migrate(name, revision)
            took = build(name, checkout, subjects=subjects, per_subject=args.per_subject, now=now,
                         partitioned=partitioned)
            prove_one_chain(name)
            print(f"{name}: built {subjects * args.per_subject} events of {subjects} subjects in {took:.0f} s")
        if partitioned:
            for key, value in sizes(name).items():
                print(f"  {key} = {value:.0f}")
        if args.verify_before:
            seconds, output, code = flask(checkout, name, "ledger", "verify")
            print(f"{name}: ledger verify before {seconds:.1f} s, exit {code} {output.strip()[-200:]}")
        if partitioned and args.same_ledger_checkout:
            retain_and_verify_copy(args.same_ledger_checkout, name)
        if kept:
            retain_and_verify_copy(checkout, name)
        else:
            retain_and_verify(checkout, name)
            _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def retain_and_verify_copy(checkout: Path, name: str) -> None:
    """retain_and_verify on a copy of the database `name` (CREATE DATABASE ... TEMPLATE), `name` left as built."""
    copy = f"{name}_copy"
    _admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    _admin(f"CREATE DATABASE {copy} TEMPLATE {name}")
    retain_and_verify(checkout, copy)
    _admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")


def retain_and_verify(checkout: Path, name: str) -> None:
    """Time `flask retention run` on the database with the checkout's code, then `flask ledger verify`."""
    seconds, output, code = flask(checkout, name, "retention", "run")
    print(f"{name} ({checkout}): retention {seconds:.1f} s (exit {code}): {output.strip()[-300:]}")
    seconds, output, code = flask(checkout, name, "ledger", "verify")
    print(f"{name} ({checkout}): ledger verify after {seconds:.1f} s, exit {code} {output.strip()[-200:]}")


if __name__ == "__main__":
    main()
