"""Column types and engine settings shared by every domain's models."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import BigInteger, DateTime, Engine, Integer, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SQLITE_BUSY_TIMEOUT_MS = 10_000


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on SQLite (which drops offsets) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def configure_sqlite(engine: Engine, *, writes_expected: Callable[[], bool] = lambda: False) -> None:
    """Durable, concurrent SQLite: WAL, full fsync, a busy timeout, enforced foreign keys, locks taken up front."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # pysqlite's own BEGIN is deferred: the write lock is taken at the first write, where a second
        # writer can only fail with "database is locked". A writer begins itself, taking the lock up front
        # and queueing on busy_timeout; everything else keeps pysqlite's deferred, implicit transactions.
        dbapi_connection = connection.connection.dbapi_connection
        if writes_expected():
            dbapi_connection.isolation_level = None
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            dbapi_connection.isolation_level = ""


def upsert_insert(session: Session):
    """The dialect's INSERT, which offers ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    return dialect_insert(session.get_bind().dialect.name)


def dialect_insert(dialect_name: str):
    """`upsert_insert` by dialect name, for statements built once per dialect."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert

