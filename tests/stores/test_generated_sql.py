"""The stores' SQL is generated from the table metadata: a column the models gain shows up, or its absence fails loudly."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, bindparam, create_engine, event, exc, insert
from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.extensions import db
from consent_service.flows.record_consent import outside_transaction, record_consent
from consent_service.runtime import runtime
from consent_service.stores.postgres_driver import json_insert_sql, json_rows
from consent_service.stores.statements import inserted_columns
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
from consent_service.vocabulary import Decision, Method

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _with_a_new_required_column() -> Any:
    """A copy of the subjects table with one more non-null column, as a migration would add."""
    table = Subject.__table__.to_metadata(MetaData())
    table.append_column(Column("nickname", String(20), nullable=False))
    return table


def test_a_new_column_is_in_the_generated_insert_and_a_row_without_it_is_refused():
    table = _with_a_new_required_column()
    assert "nickname" in inserted_columns(table) and "id" not in inserted_columns(table)
    sql = json_insert_sql(table, inserted_columns(table), param="subjects")
    assert "nickname VARCHAR(20)" in sql and sql.startswith("INSERT INTO subjects (kind, external_id, revision")
    with pytest.raises(KeyError, match="nickname"):  # PostgreSQL: the row is bound as JSON, every column named
        json_rows(table, inserted_columns(table), [subjects.new_row(kind="customer", external_id="c-1", now=NOW)])
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    statement = insert(table).values({name: bindparam(name) for name in inserted_columns(table)})
    # SQLite: Core refuses the missing value before the database sees it.
    with engine.connect() as connection, pytest.raises(exc.StatementError, match="nickname"):
        connection.execute(statement, subjects.new_row(kind="customer", external_id="c-1", now=NOW))
    engine.dispose()


def test_every_row_a_new_subject_is_stored_with_names_every_column():
    assert set(subjects.new_row(kind="customer", external_id="c-1", now=NOW)) == set(inserted_columns(Subject.__table__))


def test_the_write_names_every_column_of_the_tables_it_inserts_into(app, clock):
    """A consent write for a new subject, on each database: each INSERT names every column of its table."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with Session(db.engine) as session:
            outside_transaction(session, lambda optimistic: record_consent(
                session=session, kind="customer", external_id="c-1", new_subject=True, optimistic=optimistic,
                events=[consents.EventInput("marketing", Decision.GRANTED, Method.API)],
                context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock()))
            session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    sql = "\n".join(statements)
    subject_columns = [column.name for column in Subject.__table__.c]
    if db.engine.dialect.name == "sqlite":
        subject_columns.remove("id")  # the database numbers it
    for table, columns in (("subjects", subject_columns), ("consent_events", inserted_columns(ConsentEvent.__table__)),
                           ("consent_states", inserted_columns(ConsentState.__table__))):
        assert f"INSERT INTO {table} ({', '.join(columns)})" in sql, (table, sql)
