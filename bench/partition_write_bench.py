"""What the number of ledger partitions costs a consent write: the write's read, timed against partition count.

    .venv/bin/python bench/partition_write_bench.py [--subjects 100000] [--months 1,12,36]

A write reads its subject with the head of its chain (stores/statements.py `subject_read`). Until
migration 0028 the head came from the ledger, and on a partitioned ledger it may be in any month, so that
read probed every partition's index; it is now the subject's own `head_hash`. For each
partition count this builds a database (migrated to head) whose subjects have twelve events spread over
that many months, then runs the store's read, prepared on the server as the store runs it, for random
subjects, and prints the median and p99 microseconds per read over five rounds. The read as it was before
(head from the ledger) and a check's statement are timed beside it: the check reads no ledger either.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.partition_bench import _admin, _migrate, _url, sizes  # noqa: E402
from consent_service import create_app  # noqa: E402
from consent_service.extensions import db  # noqa: E402
from consent_service.ledger import partitions  # noqa: E402
from consent_service.stores.postgres_driver import DIALECT  # noqa: E402
from tests.conftest import settings_for  # noqa: E402

EVENTS_PER_SUBJECT = 12
ROUNDS, READS = 5, 2000


def _driver_sql(statement) -> tuple[str, dict]:
    """The statement as the store sends it: compiled once, psycopg named parameters, with its fixed binds."""
    compiled = statement.compile(dialect=DIALECT)
    return str(compiled), dict(compiled.params)


def build(name: str, subjects: int, months: int) -> None:
    _migrate(name, "head")
    now = datetime.now(UTC)
    app = create_app(settings_for(_url(name)))
    with app.app_context():
        first = partitions.month_start(now)
        for _ in range(months - 1):
            first = partitions.month_start(first - timedelta(days=1))
        month = first
        while month <= partitions.month_start(now):
            partitions.ensure_months(session=db.session, now=month, ahead=0)
            month = partitions.next_month(month)
        db.session.commit()
        db.engine.dispose()
    with psycopg.connect(_url(name), autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute(
            "INSERT INTO subjects (id, kind, external_id, revision, head_hash, evidence_key, restricted, created_at, "
            "updated_at) SELECT g, 'customer', 'c-' || g, %s, md5(g || ':' || %s), md5(g::text), false, now(), now() "
            "FROM generate_series(1, %s) g",
            (EVENTS_PER_SUBJECT, EVENTS_PER_SUBJECT, subjects),
        )
        # Event r of every subject in month r * months / 12 back: each subject's events span all the months.
        connection.execute(
            """INSERT INTO consent_events (id, subject_id, revision, purpose, decision, method, notice_version, regime,
                   actor_type, evidence, recorded_at, personal_digest, prev_hash, hash)
               SELECT 'evt_' || g || '_' || r, g, r, 'marketing', 'granted', 'api', 'v1', 'opt_in', 'subject', '{}',
                      date_trunc('month', now()) - ((%s - r) * %s / %s) * interval '1 month' + g * interval '1 ms',
                      md5(g || ':' || r), md5(g || ':' || r), md5(g || ':' || r)
                 FROM generate_series(1, %s) g, generate_series(1, %s) r""",
            (EVENTS_PER_SUBJECT, months - 1, EVENTS_PER_SUBJECT - 1, subjects, EVENTS_PER_SUBJECT),
        )
        connection.execute(
            """INSERT INTO consent_states (subject_id, purpose, decision, method, notice_version, regime, actor_type,
                   event_id, event_recorded_at, revision, updated_at)
               SELECT subject_id, purpose, decision, method, notice_version, regime, actor_type, id, recorded_at,
                      revision, recorded_at FROM consent_events WHERE revision = %s""",
            (EVENTS_PER_SUBJECT,),
        )
        connection.execute("VACUUM ANALYZE")


def _ledger_head_read(read):
    """The write's read as it was before migration 0028, timed beside it in the same run: the head's hash
    and revision taken from the ledger by two subqueries, the latest event by revision."""
    from sqlalchemy import select

    from consent_service.stores.statements import EVENTS, SUBJECTS

    latest = (
        select(EVENTS.c.hash, EVENTS.c.revision)
        .where(EVENTS.c.subject_id == SUBJECTS.c.id)
        .order_by(EVENTS.c.revision.desc())
        .limit(1)
    )
    columns = [column for column in read.selected_columns if column.name != "head_hash"]
    return read.with_only_columns(
        *columns,
        latest.with_only_columns(EVENTS.c.hash).scalar_subquery().label("head_hash"),
        latest.with_only_columns(EVENTS.c.revision).scalar_subquery().label("head_revision"),
    )


def timed(name: str, subjects: int) -> dict[str, tuple[float, float]]:
    from consent_service.flows.record_consent import store_guards
    from consent_service.stores import lookup
    from consent_service.stores.statements import subject_read

    guards = store_guards()
    # The check's one statement for one identifier, as lookup.read builds it (the names its binds take).
    statements = {
        "write's read (subject + chain head)": (*_driver_sql(subject_read(guards, None)), False),
        "before 0028: head from the ledger": (*_driver_sql(_ledger_head_read(subject_read(guards, None))), False),
        "check (lookup)": (*_driver_sql(lookup._statement(guards, 1, None, False)), True),
    }
    results = {}
    with psycopg.connect(_url(name), autocommit=True, prepare_threshold=0) as connection:
        for label, (sql, fixed, indexed) in statements.items():
            rounds = []
            for _ in range(ROUNDS):
                samples = []
                for _ in range(READS):
                    external_id = f"c-{random.randint(1, subjects)}"
                    params = {
                        **fixed,
                        **(
                            {"kind_0": "customer", "external_id_0": external_id}
                            if indexed
                            else {"kind": "customer", "external_id": external_id}
                        ),
                    }
                    started = time.perf_counter()
                    connection.execute(sql, params).fetchall()
                    samples.append((time.perf_counter() - started) * 1e6)
                samples.sort()
                rounds.append((statistics.median(samples), samples[int(len(samples) * 0.99)]))
            results[label] = (statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--months", default="1,12,36")
    args = parser.parse_args()
    name = "consent_bench_partition_writes"
    for months in (int(value) for value in args.months.split(",")):
        build(name, args.subjects, months)
        if months == 1:
            for key, value in sizes(name).items():
                print(f"  {key} = {value:.0f}")
        for label, (median, p99) in timed(name, args.subjects).items():
            print(f"{months} monthly partitions, {args.subjects} subjects: {label}: median {median:.0f} µs, p99 {p99:.0f} µs")
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
