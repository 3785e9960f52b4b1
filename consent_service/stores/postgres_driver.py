"""PostgreSQL's fast path: driver SQL run straight on the psycopg connection, with SQLAlchemy's events and errors.

SQLAlchemy's execution context and result object cost some 90 µs of Python per statement, a third of
what a hot statement costs the service. A statement run here keeps what the rest of the stack relies on:
listeners of before_cursor_execute and after_cursor_execute see it, handle_error listeners see its
failure, a driver error is raised as SQLAlchemy's (DBAPIError and its subclasses, parameters hidden),
a lost connection is invalidated, and its cursor is closed before the call returns.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

import psycopg
from psycopg import pq
from psycopg.rows import namedtuple_row
from sqlalchemy import JSON, Connection, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.base import ExceptionContextImpl
from sqlalchemy.exc import DBAPIError

from consent_service.stores.portable import refuse_unportable_values
from consent_service.stores.rows import DriverRows

DriverError = psycopg.Error
TUPLES_OK = pq.ExecStatus.TUPLES_OK
DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect classes are not annotated
# PostgreSQL quotes the input in data exceptions (class 22: 'invalid input syntax for type integer: "..."'), and a
# trigger's RAISE may format values into its message (class P0); its DETAIL quotes whole rows and is never logged.
UNSAFE_SQLSTATE_CLASSES = ("22", "P0")


def loggable_driver_error(error: psycopg.Error) -> list[str]:
    """What a driver error may say in a log: its SQLSTATE, the schema objects it names, and its message
    unless that may quote input (logs.describe_exception); never its DETAIL."""
    diag = error.diag
    parts = [
        f"{label} {value}"
        for label, value in (
            ("sqlstate", error.sqlstate),
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        )
        if value
    ]
    if diag.message_primary and not (error.sqlstate or "").startswith(UNSAFE_SQLSTATE_CLASSES):
        parts.append(diag.message_primary)
    return parts


def execute_driver_sql(connection: Connection, sql: str, params: Mapping[str, Any]) -> DriverRows:
    """`sql`, in psycopg's form, on the psycopg connection under `connection`, in its transaction if
    one is open; every row fetched and the cursor closed. Naive datetimes and dicts are refused before
    anything runs (portable.refuse_unportable_values): bind times aware, JSON as text."""
    refuse_unportable_values(params, arrays=None)
    if not connection.in_transaction():
        connection.begin()  # as Connection.execute autobegins: the caller's commit or rollback is this statement's
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    cursor = driver.cursor(row_factory=namedtuple_row)
    dispatch = connection.dispatch
    try:
        dispatch.before_cursor_execute(connection, cursor, sql, params, None, False)
        try:
            cursor.execute(sql, params)
            # The result's status, not cursor.description, which builds a Column per column on every access.
            result = cursor.pgresult
            rows = cursor.fetchall() if result is not None and result.status == TUPLES_OK else []
        except psycopg.Error as error:
            raise _sqlalchemy_error(connection, cursor, sql, params, error) from error
        dispatch.after_cursor_execute(connection, cursor, sql, params, None, False)
        return DriverRows(rows)
    finally:
        cursor.close()


def _sqlalchemy_error(
    connection: Connection, cursor: Any, sql: str, params: Mapping[str, Any], error: psycopg.Error
) -> BaseException:
    """What Connection.execute raises for this driver error, handle_error listeners consulted: a listener
    may replace the error or say whether the connection is lost, which then is invalidated."""
    lost = connection.dialect.is_disconnect(error, connection.connection, cursor)  # type: ignore[arg-type]  # psycopg.Error is the dialect's DBAPI Error
    # Parameters hidden whatever the engine says: the message reaches logs (see logs.describe_exception).
    wrapped = DBAPIError.instance(
        sql, params, error, psycopg.Error, hide_parameters=True, connection_invalidated=lost, dialect=connection.dialect
    )
    raised: BaseException = wrapped
    if connection.dialect.dispatch.handle_error:
        context = ExceptionContextImpl(
            error,
            wrapped,
            connection.engine,
            connection.dialect,
            connection,
            cursor,
            sql,
            params,
            None,
            lost,
            True,
            False,
        )
        for listener in connection.dialect.dispatch.handle_error:
            replaced = listener(context)
            if replaced is not None:
                context.chained_exception = raised = replaced
        lost = context.is_disconnect
        wrapped.connection_invalidated = lost
    if lost:
        connection.invalidate(error)
    return raised


def reserved_id(connection: Connection, table: Table, *, block: int = 64) -> int:
    """A value of `table`'s id sequence, taken `block` at a time per connection, for a row inserted
    with its id given (a statement that must know the id before the row exists)."""
    spare: list[int] = connection.connection.info.setdefault(f"reserved_ids.{table.name}", [])
    if not spare:
        sql = f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {block})"
        rows = execute_driver_sql(connection, sql, {}).all()
        spare.extend(row[0] for row in reversed(rows))
    return spare.pop()


def json_insert_sql(
    table: Table,
    columns: Sequence[str],
    *,
    param: str,
    conflict: Sequence[str] = (),
    set_: Mapping[str, str] | None = None,
    where: str | None = None,
    returning: str | None = None,
) -> str:
    """INSERT INTO `table` the rows bound by `json_rows` as one JSON text parameter `param`, only
    where the SQL condition `where` holds, optionally ON CONFLICT (`conflict`) DO UPDATE SET column =
    SQL expression (DO NOTHING without `set_`). The server parses the rows (json_to_recordset), so
    binding costs one string whatever the number of rows and columns, and the text is the same for
    every number of rows: the server prepares it once."""
    names = ", ".join(columns)
    values = ", ".join(f"{column}::json" if _is_json(table, column) else column for column in columns)
    record = ", ".join(f"{column} {_record_type(table, column)}" for column in columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) SELECT {values} "
        f"FROM json_to_recordset(%({param})s::json) AS given ({record})"
    )
    if where:
        sql += f" WHERE {where}"
    if conflict:
        assignments = ", ".join(f"{column} = {expression}" for column, expression in (set_ or {}).items())
        sql += f" ON CONFLICT ({', '.join(conflict)}) "
        sql += f"DO UPDATE SET {assignments}" if assignments else "DO NOTHING"
    if returning:
        sql += f" RETURNING {returning}"
    return sql


def json_rows(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The parameter of `json_insert_sql`: the rows as a JSON array of objects. Times go as ISO 8601
    with their offset (microseconds kept; a naive one is refused); a JSON column's value goes as its
    own JSON text, serialized as SQLAlchemy's JSON type does (None as JSON null unless the type says
    otherwise). A row without one of `columns` is a KeyError, not a silent NULL."""
    values, json_columns = _row_plan(table, tuple(columns))
    objects = []
    for row in rows:
        obj = dict(zip(columns, values(row), strict=True))
        for column, none_as_null in json_columns:
            value = obj[column]
            obj[column] = None if value is None and none_as_null else json.dumps(value)
        objects.append(obj)
    return json.dumps(objects, default=_iso)


_ROW_PLANS: dict[
    tuple[Table, tuple[str, ...]], tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], tuple[tuple[str, bool], ...]]
] = {}


def _row_plan(
    table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], tuple[tuple[str, bool], ...]]:
    """What `json_rows` reads of each row, and its JSON columns with their null rule: once per table."""
    plan = _ROW_PLANS.get((table, columns))
    if plan is None:
        # itemgetter of one name returns the value itself, not a 1-tuple.
        values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
        )
        plan = _ROW_PLANS[(table, columns)] = (
            values,
            tuple(
                (column, cast(JSON, table.c[column].type).none_as_null) for column in columns if _is_json(table, column)
            ),
        )
    return plan


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value json_rows can bind")


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


def _record_type(table: Table, column: str) -> str:
    """A JSON column arrives as text (its own JSON serialization) and is cast in the select list, so
    that JSON null stays JSON null; every other column parses straight into its own type."""
    kind = table.c[column].type
    return "text" if isinstance(kind, JSON) else str(kind.compile(dialect=DIALECT))
