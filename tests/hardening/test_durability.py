"""Durability is checked at start; SQLite writers take the lock up front; PostgreSQL statements time out."""
from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from consent_service import create_app, durability
from consent_service.database import configure_sqlite
from consent_service.extensions import db
from tests.conftest import settings_for


def test_the_test_databases_are_durable(app):
    assert durability.problems(db.engine) == []


def test_a_database_that_can_lose_writes_stops_the_service():
    # An in-memory SQLite cannot do WAL: the journal is 'memory'.
    with pytest.raises(durability.NotDurable, match="journal_mode"):
        create_app(settings_for("sqlite://"))


def test_warn_starts_anyway_and_says_so_loudly(caplog):
    with caplog.at_level(logging.ERROR):
        create_app(settings_for("sqlite://", durability_check="warn"))
    assert "DURABILITY WARNING" in caplog.text and "journal_mode" in caplog.text


def test_postgres_without_synchronous_commit_is_reported(postgres_url):
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    try:
        assert durability.problems(engine) == ["PostgreSQL synchronous_commit is 'off'"]
    finally:
        engine.dispose()


def test_postgres_statements_are_bounded_by_the_statement_timeout(postgres_url):
    # SQLite has no statement timeout; its only waits, for locks, are bounded by busy_timeout.
    app = create_app(settings_for(postgres_url, statement_timeout_ms=200))
    with app.app_context():
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(2)"))
        db.session.rollback()
        db.engine.dispose()


def test_sqlite_writers_that_read_first_queue_instead_of_failing(tmp_path):
    """Two read-then-write transactions: with a deferred BEGIN one of them gets 'database is locked'."""
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    engines = [create_engine(url), create_engine(url)]
    for engine in engines:
        configure_sqlite(engine, writes_expected=lambda: True)
    with engines[0].begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    both_read = threading.Barrier(2, timeout=5)
    errors: list[Exception] = []

    def increment(engine):
        try:
            with engine.begin() as connection:
                value = connection.execute(text("SELECT n FROM counter")).scalar()
                try:
                    both_read.wait(timeout=0.5)  # only reached together if neither holds the lock
                except threading.BrokenBarrierError:
                    pass
                connection.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
        except OperationalError as error:
            errors.append(error)

    threads = [threading.Thread(target=increment, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engines[0].connect() as connection:
        final = connection.execute(text("SELECT n FROM counter")).scalar()
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert final == 2  # no lost update either: the second read saw the first write
