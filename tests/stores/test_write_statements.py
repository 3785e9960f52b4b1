"""The write path's statements: what a consent write costs in round trips on each store."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select, text

from consent_service.clock import new_time_ordered_id
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.ledger import service as ledger

WRITE = "/v1/subjects/customer/c-1/consent-events"
BODY = {"events": [{"purpose": "marketing", "decision": "denied", "method": "api"}], "notice_version": "v1", "country": "DE"}


def _statements(app, send, status: int = 201) -> list[str]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert send().status_code == status
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_a_write_to_a_known_subject_is_two_statements_on_postgresql(app, client, auth):
    headers = auth("consents:write")
    assert client.post(WRITE, json=BODY, headers=headers).status_code == 201  # the subject exists from now on
    statements = _statements(app, lambda: client.post(WRITE, json=BODY, headers=headers))
    if db.engine.dialect.name == "postgresql":
        # Outside a transaction: the read (generation, chain head and states), then events + states +
        # subject + rollup as one statement that commits by itself, if the subject's revision held.
        assert len(statements) == 2, statements
        assert "FOR UPDATE" not in statements[0] and "json_agg" in statements[0]
        assert all(f"INSERT INTO {table}" in statements[1] for table in ("consent_events", "consent_states", "consent_rollups"))
        assert "UPDATE subjects" in statements[1] and "revision = %(previous_revision)s" in statements[1]
    else:
        # SQLite is in process, with no round trips to save: BEGIN IMMEDIATE, the subject's insert-or-keep
        # and its read, the states, then events, states, subject and rollup one statement each.
        assert len(statements) == 8, statements


def test_a_check_and_a_batch_of_checks_are_one_statement(app, client, auth):
    """The check path: subject, states, suppression and the generation in one read, whatever the batch size."""
    assert client.post(WRITE, json=BODY, headers=auth("consents:write")).status_code == 201
    headers = auth("consents:read")
    one = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing", "analytics"], "country": "DE"}
    batch = {"checks": [one, {**one, "subject": {"kind": "visitor", "id": "v-1"}}]}
    assert client.post("/v1/checks", json=one, headers=headers).status_code == 200  # the process's snapshot loaded
    for body in (one, batch):
        statements = _statements(app, lambda body=body: client.post("/v1/checks", json=body, headers=headers), status=200)
        assert len(statements) == 1, statements


def test_with_an_idempotency_key_the_write_locks_the_subject_in_a_transaction(app, client, auth):
    """The idempotency record is a second write: the transaction, the lock and the one write statement."""
    headers = auth("consents:write")
    assert client.post(WRITE, json=BODY, headers=headers).status_code == 201
    statements = _statements(app, lambda: client.post(WRITE, json=BODY, headers=headers | {"Idempotency-Key": "k-1"}))
    if db.engine.dialect.name == "postgresql":
        assert any("FOR UPDATE" in statement for statement in statements)
        assert any("INSERT INTO idempotency_records" in statement for statement in statements)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 2
        assert ledger.verify(session=db.session).ok


def test_event_ids_sort_by_the_time_they_were_recorded():
    """Events' primary keys grow at the index's right edge; ids of one millisecond still differ."""
    start = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
    later = [new_time_ordered_id("evt", start + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert later == sorted(later)
    same = {new_time_ordered_id("evt", start) for _ in range(10_000)}
    assert len(same) == 10_000
    assert all(len(i) <= ConsentEvent.__table__.c.id.type.length for i in same)


def test_a_write_binds_each_table_as_one_json_text_with_times_and_json_kept(app, client, auth, clock):
    """The write's rows travel as JSON on PostgreSQL: the stored event has the exact time (microseconds),
    its evidence as JSON, and a JSON null where SQLAlchemy's JSON type would store one."""
    headers = auth("consents:write")
    clock.advance(microseconds=654321)
    body = {**BODY, "evidence": {"reference": "call-9"}}
    assert client.post(WRITE, json=body, headers=headers).status_code == 201
    with app.app_context():
        event = db.session.scalars(select(ConsentEvent)).one()
        assert event.recorded_at == clock() and event.evidence == {"reference": "call-9"}
        stored = db.session.execute(text(
            "SELECT destinations IS NULL FROM consent_states WHERE purpose = 'marketing'")).scalar_one()
        # Both paths store what SQLAlchemy's JSON type stores for None: a JSON null, not an SQL NULL.
        assert not stored
