"""Column types and engine settings shared by every domain's models."""
from __future__ import annotations

import functools
import json
import operator
import select
import time
from datetime import date, datetime, timezone
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import JSON, BigInteger, Connection, CursorResult, DateTime, Dialect, Engine, Executable, Integer, Table, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, MultipleResultsFound, NoResultFound
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled connection idle longer than this is tested before use (the server may have restarted
# or dropped it); one in steady use is not, so a busy worker pays no extra round trip per request.
PING_AFTER_IDLE_SECONDS = 1.0


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


class NeedsTransaction(Exception):
    """Raised, before anything is written, by a write that was asked to be one statement outside a
    transaction (`outside_transaction`) but has more to write than one statement can (an outbox row)."""


def outside_transaction(session: Session, work: Callable[[], Any]) -> Any:
    """Run `work` with the session's PostgreSQL connection outside a transaction (autocommit), for a
    request whose writes a service makes as one statement, which commits by itself: BEGIN and COMMIT,
    two round trips, are spared. A service that finds it has more to write raises NeedsTransaction
    before writing anything, and `work` runs again, in a transaction the caller commits. Elsewhere
    (SQLite, or a transaction already open), `work` just runs."""
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return work()
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        return work()
    except NeedsTransaction:
        session.rollback()  # nothing was written; the next connection comes in its usual mode
    return work()


def in_autocommit(connection: Connection) -> bool:
    """Whether each statement on this connection commits by itself (`outside_transaction`)."""
    return connection.dialect.name == "postgresql" and connection.connection.driver_connection.autocommit


def reserved_id(connection: Connection, table: Table, *, block: int = 64) -> int:
    """PostgreSQL: a value of `table`'s id sequence, taken `block` at a time per connection, for a row
    inserted with its id given (a statement that must know the id before the row exists)."""
    spare = connection.connection.info.setdefault(f"reserved_ids.{table.name}", [])
    if not spare:
        spare.extend(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {block})"
        ).scalars())
        spare.reverse()
    return spare.pop()


def execute_hot(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> CursorResult | DriverRows:
    """Run a statement built once (a cached object) on a hot path. On PostgreSQL it is compiled once
    per dialect to the driver's SQL and run by `execute_driver_sql`; `params` must already be what the
    driver takes (aware datetimes, plain values) and name every column an insert writes, since no Python
    default is computed. SQLite runs the Core statement, whose types store values as it needs."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params)
    sql, fixed = _driver_sql(statement, connection.dialect)
    return execute_driver_sql(connection, sql, {**fixed, **params})


class DriverRows:
    """The rows of `execute_driver_sql`: psycopg's named tuples, read as a Result's would be."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def one_or_none(self):
        rows = self.all()
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return rows[0] if rows else None

    def one(self):
        row = self.one_or_none()
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row

    def scalar_one(self):
        return self.one()[0]

    def all(self) -> list:
        with self._cursor:  # closed once read: its result is freed now, not when it is collected
            return self._cursor.fetchall()


def execute_driver_sql(connection: Connection, sql: str, params: Mapping[str, Any]) -> DriverRows:
    """PostgreSQL: `sql`, in the driver's form, run straight on the psycopg connection under
    `connection`, in its transaction if one is open. SQLAlchemy's execution context and result object
    cost some 90 µs of Python per statement, a third of what a hot statement costs the service.
    Listeners of before_cursor_execute still see the statement; a driver error is raised as SQLAlchemy's
    (DBAPIError and its subclasses, parameters hidden) and a lost connection is invalidated, as
    Connection.execute does."""
    raw = connection.connection.driver_connection
    cursor = raw.cursor(row_factory=namedtuple_row)
    connection.dispatch.before_cursor_execute(connection, cursor, sql, params, None, False)
    try:
        cursor.execute(sql, params)
    except psycopg.Error as error:
        lost = connection.dialect.is_disconnect(error, connection.connection, cursor)
        if lost:
            connection.invalidate(error)
        # Parameters hidden whatever the engine says: the message reaches logs (see logs.describe_exception).
        raise DBAPIError.instance(sql, params, error, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=connection.dialect) from error
    return DriverRows(cursor)


@functools.lru_cache(maxsize=256)
def _driver_sql(statement: Executable, dialect: Dialect) -> tuple[str, Mapping[str, Any]]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), MappingProxyType(dict(compiled.params))


def json_insert_sql(
    table: Table, columns: Sequence[str], *, param: str, conflict: Sequence[str] = (), set_: Mapping[str, str] | None = None,
    where: str | None = None,
) -> str:
    """PostgreSQL: INSERT INTO `table` the rows bound by `json_rows` as one JSON text parameter `param`,
    only where the SQL condition `where` holds, optionally ON CONFLICT (`conflict`) DO UPDATE SET
    column = SQL expression. The server parses the rows (json_to_recordset), so binding costs one
    string whatever the number of rows and columns, and the text is the same for every number of
    rows: the server prepares it once."""
    names = ", ".join(columns)
    values = ", ".join(f"{column}::json" if _is_json(table, column) else column for column in columns)
    record = ", ".join(f"{column} {_record_type(table, column)}" for column in columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT {values} FROM json_to_recordset(%({param})s::json) AS given ({record})"
    if where:
        sql += f" WHERE {where}"
    if conflict:
        assignments = ", ".join(f"{column} = {expression}" for column, expression in (set_ or {}).items())
        sql += f" ON CONFLICT ({', '.join(conflict)}) " + (f"DO UPDATE SET {assignments}" if assignments else "DO NOTHING")
    return sql


def json_rows(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The parameter of `json_insert_sql`: the rows as a JSON array of objects. Times go as ISO 8601
    with their offset (microseconds kept); a JSON column's value goes as its own JSON text, serialized
    as SQLAlchemy's JSON type does (None as JSON null unless the type says otherwise). A row without
    one of `columns` is a KeyError, not a silent NULL."""
    values, json_columns = _row_plan(table, tuple(columns))
    objects = []
    for row in rows:
        obj = dict(zip(columns, values(row)))
        for column, none_as_null in json_columns:
            value = obj[column]
            obj[column] = None if value is None and none_as_null else json.dumps(value)
        objects.append(obj)
    return json.dumps(objects, default=_iso)


@functools.lru_cache(maxsize=64)
def _row_plan(table: Table, columns: tuple[str, ...]) -> tuple[Callable, tuple[tuple[str, bool], ...]]:
    """What `json_rows` reads of each row, and its JSON columns with their null rule: once per table."""
    # itemgetter of one name returns the value itself, not a 1-tuple.
    values = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    return values, tuple(
        (column, table.c[column].type.none_as_null) for column in columns if _is_json(table, column))


def _iso(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value json_rows can bind")


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


def _record_type(table: Table, column: str) -> str:
    """A JSON column arrives as text (its own JSON serialization) and is cast in the select list, so
    that JSON null stays JSON null; every other column parses straight into its own type."""
    kind = table.c[column].type
    return "text" if isinstance(kind, JSON) else kind.compile(dialect=postgresql.dialect())


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
    def _checked_in(dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None:
            return  # new
        if time.monotonic() - checked_in_at < idle_seconds and not _has_input(dbapi_connection):
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


def _has_input(dbapi_connection) -> bool:
    """Whether the connection's socket is readable now (SQLite's connections have none)."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        readable, _, _ = select.select([fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):  # already closed: the ping will say so
        return True
    return bool(readable)
