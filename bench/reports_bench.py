"""Consent-rate reports: how long `consent_rates` takes on a loaded database, and the rollup rebuild.

    from bench.reports_bench import run; run("postgresql://postgres@127.0.0.1:5432/consent_bench")
    .venv/bin/python bench/reports_bench.py --database-url postgresql://postgres@127.0.0.1:5432/reports_scratch \
        --load 1000000          # create the database, load varied events inside PostgreSQL, rebuild, time

`run` times the service function itself (no HTTP), the median of several calls over the 30 days
ending at the newest rolled-up day, by day, without and with a group. A ledger loaded behind the
service's back (INSERT ... SELECT, as bench/suite.py does) has an empty rollup: `run` then rebuilds
it first (`flask reports rebuild`'s function) and reports how long that took.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.ledger_load import FILL_HEADS  # noqa: E402  (needs ROOT on the path)

from consent_service import create_app  # noqa: E402  (after the path is set)
from consent_service.config import normalize_database_url  # noqa: E402
from consent_service.extensions import db  # noqa: E402
from consent_service.consents.models import ConsentEvent  # noqa: E402
from consent_service.reports import service as reports  # noqa: E402
from consent_service.reports.models import ConsentRollup  # noqa: E402
from consent_service.reports.service import GroupBy, Interval  # noqa: E402

RUNS = 15
BENCH_SECRET = "reports-bench-secret-that-is-long-enough-for-prod"
RANGE_DAYS = 30
QUESTIONS = {
    "by_day": dict(interval=Interval.DAY, group_by=None),
    "by_day_and_country": dict(interval=Interval.DAY, group_by=GroupBy.COUNTRY),
    "by_day_and_method": dict(interval=Interval.DAY, group_by=GroupBy.METHOD),
    "by_week_and_language": dict(interval=Interval.WEEK, group_by=GroupBy.LANGUAGE),
}


def run(database_url: str, *, runs: int = RUNS) -> dict:
    """{"events", "rollup_rows", "rebuild_seconds" (None if the rollup was already filled), "<question>_ms": median, ...}"""
    engine = create_engine(normalize_database_url(database_url))
    results: dict = {"runs": runs, "range_days": RANGE_DAYS}
    try:
        with Session(engine) as session:
            results["events"] = session.scalar(select(func.count()).select_from(ConsentEvent))
            results["rebuild_seconds"] = None
            if results["events"] and session.scalar(select(func.count()).select_from(ConsentRollup)) == 0:
                started = time.perf_counter()
                reports.rebuild_rollups(session=session)
                session.commit()
                results["rebuild_seconds"] = round(time.perf_counter() - started, 2)
            results["rollup_rows"] = session.scalar(select(func.count()).select_from(ConsentRollup))
            end = session.scalar(select(func.max(ConsentRollup.day)))
            if end is None:
                raise SystemExit("nothing to report on: the database holds no consent events")
            start = end - timedelta(days=RANGE_DAYS - 1)
            for name, question in QUESTIONS.items():
                timings = []
                for _ in range(runs):
                    began = time.perf_counter()
                    answer = reports.consent_rates(session=session, start=start, end=end, **question)
                    timings.append((time.perf_counter() - began) * 1000)
                    session.rollback()  # a fresh transaction per call, as a request has
                results[f"{name}_ms"] = round(statistics.median(timings), 1)
                results[f"{name}_rows"] = len(answer.rates) + len(answer.choices)
    finally:
        engine.dispose()
    return results


def load(database_url: str, events: int) -> None:
    """A fresh database (dropped first) with `events` varied events over 60 days, loaded inside PostgreSQL:
    visitors choosing on three properties' banners in 12 countries and 6 languages, customers through the API."""
    admin_url, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    app = create_app({"env": "testing", "database_url": database_url, "secret_key": BENCH_SECRET,
                      "key_encryption_keys": (Fernet.generate_key().decode(),), "erasure_pepper": BENCH_SECRET})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    per_request = 3
    requests = events // per_request
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO subjects (id, kind, external_id, revision, evidence_key, created_at, updated_at) "
            "SELECT g, CASE WHEN g %% 10 = 0 THEN 'customer' ELSE 'visitor' END, 's-' || g, %s, md5(g::text), now(), now() "
            "FROM generate_series(1, %s) g",
            (per_request, requests),
        )
        conn.execute("SELECT setval('subjects_id_seq', %s)", (requests,))
        # One request per subject: three purposes, the same instant, method, country and language.
        conn.execute(
            """
            INSERT INTO consent_events (id, subject_id, revision, purpose, decision, method, notice_version, regime,
                country, property_key, language, actor_type, evidence, recorded_at, personal_digest, prev_hash, hash)
            SELECT 'evt_' || g || '_' || r, g, r,
                   (ARRAY['preferences', 'analytics', 'advertising', 'marketing'])[r + CASE WHEN g %% 10 = 0 THEN 1 ELSE 0 END],
                   CASE WHEN m.method = 'banner_accept_all' THEN 'granted'
                        WHEN m.method = 'banner_reject_all' THEN 'denied'
                        WHEN (g + r) %% 3 = 0 THEN 'denied' WHEN (g + r) %% 17 = 0 THEN 'withdrawn' ELSE 'granted' END,
                   m.method, '2026-01-01', CASE WHEN c.country = 'US' THEN 'opt_out' ELSE 'opt_in' END,
                   NULLIF(c.country, '--'), CASE WHEN g %% 10 = 0 THEN NULL ELSE 'pk_bench_' || (g %% 3) END,
                   CASE WHEN g %% 10 = 0 THEN NULL ELSE c.language END, 'subject', '{}'::json,
                   timestamptz '2026-01-01' + (g::float / %s) * interval '60 days',
                   md5(g || ':' || r), md5(g || ':' || r), md5(g || ':' || r)
            FROM generate_series(1, %s) g
            CROSS JOIN LATERAL (SELECT (ARRAY['DE', 'DE', 'DE', 'FR', 'FR', 'US', 'US', 'GB', 'IT', 'ES', 'NL', 'PL',
                                              'AT', 'BE', '--'])[1 + (g * 7) %% 15] AS country,
                                       (ARRAY['de', 'de', 'de', 'fr', 'fr', 'en', 'en', 'en', 'it', 'es', 'nl', 'pl',
                                              'de', 'fr', 'en'])[1 + (g * 7) %% 15] AS language) c
            CROSS JOIN LATERAL (SELECT CASE WHEN g %% 10 = 0 THEN 'api'
                                            ELSE (ARRAY['banner_accept_all', 'banner_accept_all', 'banner_accept_all',
                                                        'banner_reject_all', 'banner_reject_all', 'banner_custom'])[1 + (g * 13) %% 6]
                                       END AS method) m
            CROSS JOIN generate_series(1, %s) r
            """,
            (requests, requests, per_request),
        )
        conn.execute(FILL_HEADS)
        conn.execute("VACUUM ANALYZE")
    print(f"loaded {requests * per_request:,} events in {time.perf_counter() - started:.0f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--load", type=int, help="Create the database (dropping it first) with this many events")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    if args.load:
        load(args.database_url, args.load)
    print(json.dumps(run(args.database_url, runs=args.runs), indent=2))


if __name__ == "__main__":
    main()
