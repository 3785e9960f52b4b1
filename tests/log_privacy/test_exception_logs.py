"""A database error in a request is logged by its kind, constraint and SQL, never by a parameter value: not the
subject's evidence key (erasure deletes it; a log keeping it would undo the erasure), nor its id, nor an email.
Runs in the ordinary run, so the scan afterwards (test_run_logs.py) also reads what this made the service log."""
from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from consent_service.stores.postgres_driver import execute_driver_sql
from consent_service.extensions import db
from consent_service.logs import JsonFormatter, describe_exception
from consent_service.subjects import service as subjects_service
from tests import run_logs
from tests.e2e.conftest import ROOT
from tests.e2e.gunicorn import production_env

FORCED_FAILURE = "forced_failure"


@contextmanager
def refusing_new_subjects(engine: Engine):
    """The database refuses every new subject row, as a failed migration or a full disk would some write."""
    if engine.dialect.name == "postgresql":
        # PostgreSQL's message for it quotes the whole row: "Failing row contains (..., <evidence key>, ...)".
        create = f"ALTER TABLE subjects ADD CONSTRAINT {FORCED_FAILURE} CHECK (false) NOT VALID"
        drop = f"ALTER TABLE subjects DROP CONSTRAINT {FORCED_FAILURE}"
    else:
        create = f"CREATE TRIGGER {FORCED_FAILURE} BEFORE INSERT ON subjects BEGIN SELECT RAISE(ABORT, 'refused'); END"
        drop = f"DROP TRIGGER {FORCED_FAILURE}"
    with engine.begin() as connection:
        connection.exec_driver_sql(create)
    try:
        yield
    finally:
        db.session.remove()  # the failed request's transaction (on SQLite, its write lock) ends first
        with engine.begin() as connection:
            connection.exec_driver_sql(drop)


def test_a_failed_write_logs_no_evidence_key_subject_id_or_email(app, client, full_access, monkeypatch, caplog):
    evidence_key = secrets.token_hex(32)
    subject, email = f"cust-{secrets.token_hex(6)}", f"agent.{secrets.token_hex(4)}@example.org"
    for kind, value in (("evidence_key", evidence_key), ("subject_id", subject), ("email", email)):
        run_logs.remember_secret(kind, value)
    monkeypatch.setattr(subjects_service, "new_evidence_key", lambda: evidence_key)  # subjects.new_row's
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs the exception and answers 500
    caplog.set_level(logging.ERROR)
    with refusing_new_subjects(db.engine):
        response = client.post(f"/v1/subjects/customer/{subject}/consent-events", headers=full_access, json={
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
            "notice_version": "2026-01-01", "country": "DE", "actor": {"type": "agent", "id": email},
        })
    assert response.status_code == 500
    assert response.json["code"] == "internal_error"

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records if record.exc_info)
    for value in (evidence_key, subject, email):
        assert value not in logged
    assert "[parameters:" not in logged  # no SQLAlchemy parameter block
    assert "Exception on /v1/subjects/<kind>/<subject_id>/consent-events [POST]" in logged  # the route, not the path
    # Still useful: the kind of error, what refused it, and the statement.
    assert "IntegrityError" in logged and "INSERT INTO subjects" in logged
    assert (f"constraint {FORCED_FAILURE}" if db.engine.dialect.name == "postgresql"
            else "SQLITE_CONSTRAINT_TRIGGER") in logged


def _raised(statement) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised:
        statement()
    return raised.value


def test_database_errors_hide_their_parameters_on_every_path(app):
    """SQLAlchemy's own path and the hot statements' driver path (database.execute_driver_sql) alike."""
    subject = f"cust-{secrets.token_hex(6)}"
    run_logs.remember_secret("subject_id", subject)
    errors = []
    with db.engine.connect() as connection:
        errors.append(_raised(lambda: connection.execute(
            text("INSERT INTO subjects (kind, external_id) VALUES (NULL, :id)"), {"id": subject})))
        connection.rollback()
        if connection.dialect.name == "postgresql":
            errors.append(_raised(lambda: execute_driver_sql(
                connection, "INSERT INTO subjects (kind, external_id) VALUES (NULL, %(id)s)", {"id": subject})))
            connection.rollback()
            # A data exception's message quotes the input: 'invalid input syntax for type bigint: "cust-..."'.
            errors.append(_raised(lambda: execute_driver_sql(
                connection, "SELECT id FROM subjects WHERE id = %(id)s::bigint", {"id": subject})))
            connection.rollback()
    for error in errors:
        assert error.hide_parameters
        assert "[parameters:" not in str(error)
        # The server's own message may quote the row ("Failing row contains (..., cust-..., ...)"): never logged.
        assert subject not in describe_exception(error)
        assert "subjects" in describe_exception(error) and type(error.orig).__name__ in describe_exception(error)


# A command that dies of a database error nobody catches (as a `flask` command or a script would).
UNCAUGHT = """
import sys
from sqlalchemy import text
from consent_service import create_app
from consent_service.extensions import db
with create_app().app_context():
    db.session.execute(text("INSERT INTO subjects (kind, external_id) VALUES (NULL, :id)"), {"id": sys.argv[1]})
"""


def test_an_uncaught_database_error_is_logged_without_its_values(database_url):
    subject = f"cust-{secrets.token_hex(6)}"
    run_logs.remember_secret("subject_id", subject)
    env = production_env(database_url, "http://127.0.0.1:8000")
    died = subprocess.run([sys.executable, "-c", UNCAUGHT, subject], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    run_logs.service_log("uncaught").write_text(died.stdout + died.stderr)
    assert died.returncode == 1
    assert subject not in died.stderr
    logged = [json.loads(line) for line in died.stderr.splitlines() if line.startswith("{")]
    uncaught = [entry for entry in logged if entry["message"] == "uncaught exception"]
    assert uncaught and "IntegrityError" in uncaught[0]["exception"], died.stderr
