"""execute_hot: a statement built once, run on a hot path the same way on both databases.

On PostgreSQL it is compiled once to the driver's SQL and run on the driver (postgres_driver); on
SQLite it runs through SQLAlchemy. Either way the statement and its values are first held to what
both paths run identically (portable.py), and its rows are fetched before the call returns.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.sql import ClauseElement

from consent_service.stores.portable import refuse_unportable_statement, refuse_unportable_values
from consent_service.stores.rows import DriverRows


def execute_hot(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> DriverRows:
    """Run `statement` with `params`: values as the driver takes them (aware datetimes, plain values,
    JSON as text), naming every column an insert writes (no Python default is computed)."""
    sql, fixed, arrays = _compiled(statement, connection.dialect)
    refuse_unportable_values(params, arrays=arrays)
    if connection.dialect.name == "postgresql":
        # Imported here (a dictionary lookup once loaded): a process on SQLite never loads psycopg.
        from consent_service.stores.postgres_driver import execute_driver_sql

        return execute_driver_sql(connection, sql, {**fixed, **params})
    result = connection.execute(statement, params)
    return DriverRows(list(result.all()) if result.returns_rows else [])


@functools.lru_cache(maxsize=256)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, Mapping[str, Any], frozenset[str]]:
    """The statement's SQL for `dialect`, its constant parameters and its array parameters, once it is
    known to be portable (UnportableStatement otherwise, before it ever runs)."""
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"{type(statement).__name__} is not a Core statement")
    compiled = statement.compile(dialect=dialect)
    arrays = refuse_unportable_statement(compiled)
    return str(compiled), MappingProxyType(dict(compiled.params)), arrays
