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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_0028s_online_fill_clears_a_head_a_write_of_before_left_behind(app, client, full_access):
    """While 0028 fills the column on PostgreSQL, a write of the code of before (revision moved, head not)
    clears the subject's head, and the last step fills it from the ledger; a write of this version (both
    moved) is left alone."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0028_subject_head_hash.py"
    spec = importlib.util.spec_from_file_location("migration_0028", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def post(decision: str) -> None:
        body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}], "notice_version": "v1"}
        response = client.post("/v1/subjects/customer/c-1/consent-events", json=body, headers=full_access)
        assert response.status_code == 201, response.get_json()

    def head() -> tuple[int, str | None, str]:
        with db.engine.connect() as connection:
            return connection.execute(text(
                "SELECT s.revision, s.head_hash, e.hash FROM subjects AS s JOIN consent_events AS e "
                "ON e.subject_id = s.id AND e.revision = s.revision WHERE s.external_id = 'c-1'")).one()

    post("granted")
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text(migration.STALE_FUNCTION))
        connection.execute(text(migration.STALE_TRIGGER))
    try:
        post("denied")  # this version: revision and head move together
        revision, stored, real = head()
        assert revision == 2 and stored == real
        with db.engine.begin() as connection:  # the code of before: the revision moves alone
            connection.execute(text("UPDATE subjects SET revision = 1 WHERE external_id = 'c-1'"))
        assert head()[1] is None
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE subjects SET revision = 2 WHERE external_id = 'c-1'"))
            connection.execute(text(migration.FILL_REST))
            connection.execute(text("DROP TRIGGER subjects_head_hash_stale ON subjects"))
            connection.execute(text("DROP FUNCTION subjects_head_hash_stale()"))
    revision, stored, real = head()
    assert revision == 2 and stored == real
