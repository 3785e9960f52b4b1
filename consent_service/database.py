"""Column types and engine settings shared by every domain's models."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Engine, Integer, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled connection idle longer than this is tested before use (the server may have restarted
# or dropped it); one in steady use is not, so a busy worker pays no extra round trip per request.
PING_AFTER_IDLE_SECONDS = 1.0
# A dialect's INSERT construct (the table or entity it inserts into), with ON CONFLICT on both.
InsertFactory = Callable[[Any], postgresql.Insert | sqlite.Insert]


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on SQLite (which drops offsets) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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


def upsert_insert(session: Session) -> InsertFactory:
    """The dialect's INSERT, which offers ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    return dialect_insert(session.get_bind().dialect.name)


def dialect_insert(dialect_name: str) -> InsertFactory:
    """`upsert_insert` by dialect name, for statements built once per dialect."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert


def ping_when_idle(engine: Engine, *, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Test a pooled connection on checkout when it sat idle for `idle_seconds`, or when its socket
    has something to read: a dead one is replaced (DisconnectionError makes the pool connect anew)
    before the request uses it.

    SQLAlchemy's pool_pre_ping tests every checkout, a round trip per request on the hot paths;
    connections handed from request to request back to back are the ones least likely to be dead.
    An idle connection has nothing to read unless the server or the network closed it (end of
    stream) or the server sent a last message (a restart's "terminating connection"), so a readable
    socket is tested whatever its idle time. Asking the kernel costs no round trip; it is how a
    worker whose connections were cut a moment ago finds out before a write fails on one."""
    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None:
            return  # new
        if time.monotonic() - checked_in_at < idle_seconds and not _has_input(dbapi_connection, dbapi_error):
            return  # in steady use, and nothing came from the other end
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            # The ping began a transaction: end it, so the request starts from a clean connection
            # (one that asks for autocommit could not have it inside a transaction).
            dbapi_connection.rollback()
        except dbapi_error as error:
            raise DisconnectionError(str(error)) from error


def _has_input(dbapi_connection: DBAPIConnection, dbapi_error: type[Exception]) -> bool:
    """Whether the connection's socket is readable now (SQLite's connections have none)."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        readable, _, _ = select.select([fileno()], [], [], 0)
    except (OSError, ValueError, dbapi_error):  # already closed: the ping will say so
        return True
    return bool(readable)
