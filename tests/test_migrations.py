"""Migrations create everything, match the models, and protect the ledger."""
from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from consent_service import create_app
from consent_service.extensions import db
from tests.conftest import settings_for


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_downgrade_upgrade_on_an_empty_sqlite_file(tmp_path):
    app = create_app(settings_for(f"sqlite:///{tmp_path}/fresh.db"))
    with app.app_context():
        upgrade()
        assert "consent_events" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "consent_events" not in inspect(db.engine).get_table_names()
        upgrade()
        db.engine.dispose()


def test_ledger_rows_cannot_be_updated_or_deleted(client, full_access):
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}
    client.post("/v1/subjects/customer/c-1/consent-events", json=body, headers=full_access)
    for statement in ("UPDATE consent_events SET decision = 'denied'", "DELETE FROM consent_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT decision FROM consent_events")).scalar_one() == "granted"


def test_the_tables_every_write_updates_leave_room_for_hot_updates(postgres_url):
    """Migration 0010: a fifth of each page stays free, so updating a subject or a state stays on its page."""
    with psycopg.connect(postgres_url) as connection:
        options = dict(connection.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('subjects', 'consent_states')"
        ).fetchall())
    assert options == {"subjects": ["fillfactor=80"], "consent_states": ["fillfactor=80"]}
