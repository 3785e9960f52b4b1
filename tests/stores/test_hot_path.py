"""The hot path (stores/hot.py) runs a statement identically on both databases or refuses it before it runs."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, exc, insert, select, text

from consent_service.extensions import db
from consent_service.stores.hot import execute_hot
from consent_service.stores.portable import UnportableStatement
from consent_service.subjects.models import Subject, Suppression

SUBJECTS = Subject.__table__


@pytest.fixture
def seen(app):
    """The statements the engine's cursor events saw, by event name."""
    events: dict[str, list[Any]] = {"before": [], "after": [], "error": []}

    def before(_conn, cursor, statement, *_args) -> None:
        events["before"].append((statement, cursor))

    def after(_conn, cursor, statement, *_args) -> None:
        events["after"].append((statement, cursor))

    def failed(context) -> None:
        events["error"].append(context.original_exception)

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    event.listen(db.engine, "handle_error", failed)
    yield events
    event.remove(db.engine, "before_cursor_execute", before)
    event.remove(db.engine, "after_cursor_execute", after)
    event.remove(db.engine, "handle_error", failed)


def _closed(cursor: Any) -> bool:
    if isinstance(cursor, sqlite3.Cursor):
        try:
            cursor.fetchall()
        except sqlite3.ProgrammingError:  # "Cannot operate on a closed cursor."
            return True
        return False
    return bool(cursor.closed)


def test_an_expanding_in_is_refused_before_it_runs(app, seen):
    statement = select(SUBJECTS.c.id).where(SUBJECTS.c.id.in_(bindparam("ids", expanding=True)))
    with db.engine.connect() as connection, pytest.raises(UnportableStatement, match="expanding"):
        execute_hot(connection, statement, {"ids": [1, 2]})
    assert seen["before"] == []


def test_a_json_parameter_is_refused_before_it_runs(app, seen):
    statement = insert(Suppression.__table__).values(kind=bindparam("kind"), pseudonym=bindparam("pseudonym"),
                                                     created_at=bindparam("at"), receipt=bindparam("receipt"))
    with db.engine.connect() as connection, pytest.raises(UnportableStatement, match="JSON"):
        execute_hot(connection, statement, {"kind": "customer", "pseudonym": "p", "at": datetime.now(UTC),
                                            "receipt": {"a": 1}})
    assert seen["before"] == []


@pytest.mark.parametrize("value", [{"a": 1}, ["a"]], ids=["dict", "list"])
def test_a_dict_or_a_list_is_refused_where_no_array_is_expected(app, seen, value):
    statement = select(SUBJECTS.c.id).where(SUBJECTS.c.external_id == bindparam("external_id"))
    with db.engine.connect() as connection, pytest.raises(UnportableStatement, match="json.dumps"):
        execute_hot(connection, statement, {"external_id": value})
    assert seen["before"] == []


def test_a_naive_datetime_is_refused_before_it_runs(app, seen):
    statement = select(SUBJECTS.c.id).where(SUBJECTS.c.created_at < bindparam("at"))
    with db.engine.connect() as connection:
        with pytest.raises(UnportableStatement, match="naive"):
            execute_hot(connection, statement, {"at": datetime(2026, 1, 1)})
        assert execute_hot(connection, statement, {"at": datetime(2026, 1, 1, tzinfo=UTC)}).all() == []


def test_the_paired_events_fire_and_every_cursor_is_closed_even_unread(app, seen):
    statement = select(SUBJECTS.c.id).where(SUBJECTS.c.kind == bindparam("kind"))
    with db.engine.connect() as connection:
        execute_hot(connection, statement, {"kind": "customer"})  # never read
    (before_sql, cursor), = [entry for entry in seen["before"] if "FROM subjects" in entry[0]]
    assert [sql for sql, _ in seen["after"] if "FROM subjects" in sql] == [before_sql]
    assert _closed(cursor)


def test_a_failure_reaches_handle_error_and_is_sqlalchemys(app, seen):
    statement = insert(SUBJECTS).values(id=bindparam("id"), kind=bindparam("kind"), external_id=bindparam("external_id"),
                                        revision=0, restricted=False, created_at=bindparam("at"), updated_at=bindparam("at"))
    row = {"id": 1, "kind": "customer", "external_id": "c-1", "at": datetime.now(UTC)}
    with db.engine.connect() as connection:
        execute_hot(connection, statement, row)
        with pytest.raises(exc.IntegrityError):
            execute_hot(connection, statement, row)
        connection.rollback()
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    assert len(seen["error"]) == 1
    failed = [cursor for sql, cursor in seen["before"] if sql.startswith("INSERT INTO subjects")][-1]
    assert _closed(failed)
