"""Statements run straight on psycopg (database.execute_driver_sql) behave as Connection.execute's do to
the rest of the stack: listeners see them, errors are SQLAlchemy's, a lost connection is replaced."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, event, exc, text

from consent_service.stores.postgres_driver import execute_driver_sql


@pytest.fixture
def engine(postgres_url):
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    yield engine
    engine.dispose()


def test_rows_read_as_a_result_and_listeners_see_the_statement(engine):
    seen = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, params, *_: seen.append((statement, params)))
    with engine.connect() as connection:
        row = execute_driver_sql(connection, "SELECT %(n)s::int AS n, 'x' AS label", {"n": 7}).one()
        assert (row.n, row.label) == (7, "x")
        assert execute_driver_sql(connection, "SELECT 1 AS one WHERE false", {}).one_or_none() is None
        assert execute_driver_sql(connection, "SELECT 2 AS two", {}).scalar_one() == 2
        with pytest.raises(exc.MultipleResultsFound):
            execute_driver_sql(connection, "SELECT generate_series(1, 2) AS n", {}).one_or_none()
        with pytest.raises(exc.NoResultFound):
            execute_driver_sql(connection, "SELECT 1 AS one WHERE false", {}).one()
    assert seen[0] == ("SELECT %(n)s::int AS n, 'x' AS label", {"n": 7})


def test_errors_are_sqlalchemy_errors_and_the_transaction_rolls_back(engine):
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE driver_sql_probe (id int PRIMARY KEY)"))
        execute_driver_sql(connection, "INSERT INTO driver_sql_probe VALUES (%(id)s)", {"id": 1})
        with pytest.raises(exc.IntegrityError) as raised:
            execute_driver_sql(connection, "INSERT INTO driver_sql_probe VALUES (%(id)s)", {"id": 1})
        assert isinstance(raised.value.orig, psycopg.errors.UniqueViolation)
        connection.rollback()
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_a_lost_connection_is_invalidated_and_the_next_one_is_new(engine, postgres_url):
    with engine.connect() as connection:
        lost = execute_driver_sql(connection, "SELECT pg_backend_pid() AS pid", {}).scalar_one()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (lost,))
        with pytest.raises(exc.OperationalError) as raised:
            execute_driver_sql(connection, "SELECT 1 AS one", {})
        assert raised.value.connection_invalidated and connection.invalidated
    with engine.connect() as connection:
        assert execute_driver_sql(connection, "SELECT pg_backend_pid() AS pid", {}).scalar_one() != lost
