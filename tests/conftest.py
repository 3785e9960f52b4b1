"""Fixtures: an app per test on a real SQLite file and a real PostgreSQL, clients, keys, a clock."""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from consent_service import create_app
from consent_service.apikeys import service as apikeys
from consent_service.extensions import db
from tests import run_logs
from tests.streaming_replica import ReplicationUnavailable, StreamingPair

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# One database per test run, so parallel runs (developers, CI) never share one.
POSTGRES_TEST_DB = f"consent_service_test_{os.getpid()}"
# What apps on the test-owned streaming pair set: it runs without fsync (tests/streaming_replica.py).
PAIR_DURABILITY = "warn"
FIXED_START = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
ENCRYPTION_KEY = Fernet.generate_key().decode()


def pytest_configure(config) -> None:
    """Every run keeps its service logs and secrets under test-output/logs/ for tests/log_privacy to scan."""
    run_logs.configure(config)


class FrozenClock:
    """A clock tests move by hand instead of sleeping."""

    def __init__(self, start: datetime = FIXED_START) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def unavailable(what: str, reason: str) -> None:
    """Outside CI a missing service skips with the reason; in CI it fails the test."""
    message = f"{what} is not available: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: required)")
    pytest.skip(message)


def settings_for(database_url: str, **extra: object) -> dict:
    return {
        "env": "testing",
        "database_url": database_url,
        "secret_key": "test-secret-key-that-is-long-enough-for-prod",
        "key_encryption_keys": (ENCRYPTION_KEY,),
        "erasure_pepper": "test-erasure-pepper-that-is-long-enough-for-prod",
        "token_issuer": "http://consent.test",
        **extra,
    }


def migrate_database(database_url: str, **extra: object) -> None:
    app = create_app(settings_for(database_url, **extra))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "consent.db"
    migrate_database(f"sqlite:///{path}")
    return path


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A dedicated, freshly migrated PostgreSQL database for the whole run, dropped after it."""
    try:
        _admin_sql(f"DROP DATABASE IF EXISTS {POSTGRES_TEST_DB} WITH (FORCE)")
        _admin_sql(f"CREATE DATABASE {POSTGRES_TEST_DB}")
    except Exception as exc:  # any failure to reach the server means "not available"
        unavailable("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + POSTGRES_TEST_DB
    migrate_database(url)
    yield url
    _admin_sql(f"DROP DATABASE IF EXISTS {POSTGRES_TEST_DB} WITH (FORCE)")


@pytest.fixture(scope="session")
def streaming_pair() -> Iterator[StreamingPair]:
    """A test-owned primary and streaming replica for the whole run (started only when a test asks)."""
    try:
        pair = StreamingPair.start()
    except (ReplicationUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        unavailable("A streaming PostgreSQL replica", str(exc))
    yield pair
    pair.stop()


@pytest.fixture
def replicated_database(streaming_pair: StreamingPair) -> Iterator[tuple[str, str]]:
    """A freshly migrated database on the primary, replayed on the replica: its (primary, replica) URLs."""
    yield new_replicated_database(streaming_pair)
    streaming_pair.resume_replay()


def new_replicated_database(pair: StreamingPair) -> tuple[str, str]:
    """A freshly migrated database on the pair's primary, replayed on its replica (for fixtures of any scope)."""
    primary_url, replica_url = pair.create_database(f"consent_replicated_{len(pair.databases)}")
    # The pair runs without fsync (throwaway, fast): apps on it say so instead of refusing to start.
    migrate_database(primary_url, durability_check=PAIR_DURABILITY)
    pair.wait_replayed()
    return primary_url, replica_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """Every test that touches the database runs on both engines."""
    if request.param == "sqlite":
        path = tmp_path / "consent.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _empty_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database with no tables at all, for tests that migrate step by step (both engines)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    name = f"consent_service_empty_{os.getpid()}"
    try:
        _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # any failure to reach the server means "not available"
        unavailable("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _empty_postgres(url: str) -> None:
    app = create_app(settings_for(url))
    with app.app_context():
        # Every table but the seeded catalogue; TRUNCATE does not fire the ledger's row triggers.
        tables = [table.name for table in db.metadata.sorted_tables if table.name != "purposes"]
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("DELETE FROM purposes WHERE NOT built_in"))
        db.engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(settings_for(database_url))
    app.config["CLOCK"] = clock
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_with(database_url: str, clock: FrozenClock):
    """app_with(setting=value, ...) -> another app on the same database, closed after the test."""
    made: list[Flask] = []

    def build(**overrides: object) -> Flask:
        other = create_app(settings_for(database_url, **overrides))
        other.config["CLOCK"] = clock
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def session(app: Flask):
    return db.session


@pytest.fixture
def make_key(app: Flask, clock: FrozenClock):
    """make_key("consents:read", ...) -> the plain secret key."""

    def make(*scopes: str, name: str = "test") -> str:
        _, plain = apikeys.create_key(session=db.session, name=name, scopes=list(scopes), now=clock())
        db.session.commit()
        run_logs.remember_secret("api_key", plain)
        return plain

    return make


@pytest.fixture
def auth(make_key):
    """auth("consents:read", ...) -> request headers carrying a key with those scopes."""

    def headers(*scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_key(*scopes)}"}

    return headers


@pytest.fixture
def full_access(auth) -> dict[str, str]:
    return auth("consents:read", "consents:write", "tokens:issue", "admin")


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's), driven by Playwright: one for the whole run, since a second sync
    Playwright in the same thread fails while the first lives (the e2e and the scanner's tests share it)."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd): `.url`, `.messages` (EmailMessage), `.wait_for(count, timeout)`."""
    from tests.smtp_server import LoopbackSmtp

    server = LoopbackSmtp().start()
    yield server
    server.stop()
