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
from consent_service.ledger import partitions
from tests.conftest import settings_for


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": partitions.include_name,
                         "include_object": partitions.include_object})
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


def test_sqlites_ledger_trigger_names_every_column(tmp_path):
    """SQLite's update trigger lists the columns it guards (PostgreSQL's compares whole rows): a column a
    migration adds to consent_events must join the list, or updating it would pass. Only the personal
    fields erasure replaces with pseudonyms (rights/erasure.py) stay writable."""
    from consent_service.consents.models import ConsentEvent

    app = create_app(settings_for(f"sqlite:///{tmp_path}/ledger.db"))
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            trigger = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'consent_events_no_update'")).scalar_one()
        guarded = {name.strip() for name in trigger.split(" UPDATE OF ", 1)[1].split(" ON ", 1)[0].split(",")}
        erasable = {"actor_id", "evidence"}
        assert {column.name for column in ConsentEvent.__table__.columns} - erasable <= guarded
        db.engine.dispose()


def test_the_tables_every_write_updates_leave_room_for_hot_updates(postgres_url):
    """Migration 0010: a fifth of each page stays free, so updating a subject or a state stays on its page."""
    with psycopg.connect(postgres_url) as connection:
        options = dict(connection.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('subjects', 'consent_states')"
        ).fetchall())
    assert options == {"subjects": ["fillfactor=80"], "consent_states": ["fillfactor=80"]}


def test_0028_fills_each_subjects_head_from_its_ledger(app, client, full_access):
    """Subjects of before the column get their chain's latest hash; one without events keeps none; a write
    after it links to the filled head."""
    from consent_service.ledger import service as ledger

    def post(subject: str, decision: str) -> None:
        body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}], "notice_version": "v1"}
        response = client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body, headers=full_access)
        assert response.status_code == 201, response.get_json()

    for decision in ("granted", "denied", "granted"):
        post("c-1", decision)
    post("c-2", "granted")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO subjects (kind, external_id, revision, created_at, updated_at) "
                                "VALUES ('customer', 'c-3', 0, '2025-01-01', '2025-01-01')"))
    db.session.remove()
    downgrade(revision="0027_partitioned_ledger")
    try:
        assert "head_hash" not in {column["name"] for column in inspect(db.engine).get_columns("subjects")}
    finally:
        upgrade()
    with db.engine.connect() as connection:
        heads = dict(connection.execute(text("SELECT external_id, head_hash FROM subjects")).all())
        latest = dict(connection.execute(text(
            "SELECT s.external_id, e.hash FROM consent_events AS e JOIN subjects AS s ON s.id = e.subject_id "
            "WHERE e.revision = s.revision")).all())
    assert heads == {"c-1": latest["c-1"], "c-2": latest["c-2"], "c-3": None}
    assert latest["c-1"] != latest["c-2"]
    post("c-1", "withdrawn")
    report = ledger.verify(session=db.session)
    assert report.ok and (report.chains, report.events) == (2, 5), report.problems
