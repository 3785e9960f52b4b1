"""The write path's statements: what a consent write costs in round trips, and the states it folds."""
from __future__ import annotations


from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from consent_service.clock import new_time_ordered_id
from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.database import outside_transaction
from consent_service.extensions import db
from consent_service.ledger import service as ledger
from consent_service.runtime import runtime
from consent_service.subjects.models import Subject
from consent_service.vocabulary import Decision, Method
from consent_service.subjects import service as subjects

WRITE = "/v1/subjects/customer/c-1/consent-events"
BODY = {"events": [{"purpose": "marketing", "decision": "denied", "method": "api"}], "notice_version": "v1", "country": "DE"}


def _statements(app, send) -> list[str]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert send().status_code == 201
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
        assert "UPDATE subjects" in statements[1] and "revision = %(u_previous)s" in statements[1]
    else:
        # SQLite is in process, with no round trips to save: BEGIN IMMEDIATE, the subject's insert-or-keep
        # and its read, the states, then events, states, subject and rollup one statement each.
        assert len(statements) == 8, statements


def test_with_an_idempotency_key_the_write_locks_the_subject_in_a_transaction(app, client, auth):
    """The idempotency record is a second write: the transaction, the lock and the fused write."""
    headers = auth("consents:write")
    assert client.post(WRITE, json=BODY, headers=headers).status_code == 201
    statements = _statements(app, lambda: client.post(WRITE, json=BODY, headers=headers | {"Idempotency-Key": "k-1"}))
    if db.engine.dialect.name == "postgresql":
        assert any("FOR UPDATE" in statement for statement in statements)
        assert any("INSERT INTO idempotency_records" in statement for statement in statements)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 2
        assert ledger.verify(session=db.session).ok


def _record(app, clock, external_id: str, *, new_subject: bool = False, written_with=None) -> consents.SubjectState:
    """record_events as the consent-events endpoint runs it (outside a transaction on PostgreSQL),
    in a session of its own."""
    with app.app_context(), Session(db.engine) as session:
        state = outside_transaction(session, lambda: consents.record_events(
            session=session, kind="customer", external_id=external_id,
            events=[consents.EventInput("marketing", Decision.DENIED, Method.API)],
            context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
            new_subject=new_subject, written_with=written_with,
        ))
        session.commit()
        return state


# The optimistic write exists on PostgreSQL only: SQLite always writes in a transaction under its write lock.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _overtaken(app, clock, times: int):
    """A `written_with` that lets another request write the subject (and commit) before the first
    `times` statements of ours, and the list of the revisions it was called on."""
    calls: list[int] = []

    def overtake(state):
        calls.append(state.revision)
        if len(calls) <= times:
            _record(app, clock, "c-1")  # another request, committed before ours writes
        return []

    return overtake, calls


@ON_POSTGRESQL
def test_an_optimistic_write_that_another_writer_overtook_is_done_again(app, clock):
    """Between the read and the write another writer commits: the first statement writes nothing
    (the revision moved), and the write is done again on the new head, so the chain does not fork."""
    _record(app, clock, "c-1")
    overtake, calls = _overtaken(app, clock, times=1)
    state = _record(app, clock, "c-1", written_with=overtake)
    assert calls == [2, 3] and state.revision == 3
    with app.app_context():
        assert db.session.scalars(select(ConsentEvent.revision).order_by(ConsentEvent.revision)).all() == [1, 2, 3]
        assert ledger.verify(session=db.session).ok


@ON_POSTGRESQL
def test_a_write_overtaken_again_and_again_takes_the_subject_lock(app, clock):
    """Retries could starve a writer of a busy subject: after OPTIMISTIC_ATTEMPTS it writes in a
    transaction under the subject's row lock, where writers queue and each gets its turn."""
    attempts = consents.OPTIMISTIC_ATTEMPTS
    _record(app, clock, "c-1")
    overtake, calls = _overtaken(app, clock, times=attempts)
    statements = []
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        state = _record(app, clock, "c-1", written_with=overtake)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    assert calls == list(range(2, attempts + 3)) and state.revision == attempts + 2
    assert "FOR UPDATE" in [s for s in statements if "FROM subjects" in s][-1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == attempts + 2
        assert ledger.verify(session=db.session).ok


def test_a_made_up_identifier_that_exists_is_written_as_the_existing_subject(app, clock):
    """A new visitor's one statement inserts the subject; if the identifier exists after all, it
    writes nothing and the events follow the existing subject's chain."""
    first = _record(app, clock, "c-1")
    state = _record(app, clock, "c-1", new_subject=True)
    assert (first.revision, state.revision, state.subject_key) == (1, 2, first.subject_key)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subject)) == 1
        assert ledger.verify(session=db.session).ok


def test_the_states_read_with_the_lock_are_the_stored_states(app, client, auth, clock):
    """PostgreSQL reads the states as JSON inside the locking statement: the same values, times
    included, as the plain read of consent_states (transfer destinations, nulls, microseconds)."""
    headers = auth("consents:write")
    for body in (
        {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"},
                    {"purpose": "analytics", "decision": "denied", "method": "api"}], "notice_version": "v1"},
        {"events": [{"purpose": "cross_border_transfer", "decision": "granted", "method": "written"}],
         "notice_version": "v2", "country": "DE", "destination_country": "US", "property": "pk_x"},
    ):
        clock.advance(seconds=1, microseconds=123457)
        assert client.post(WRITE, json=body, headers=headers).status_code == 201
    with app.app_context():
        connection = db.session.connection()
        fused = connection.dialect.name == "postgresql"
        row = subjects.lock_row(session=db.session, kind="customer", external_id="c-1", now=clock(),
                                also=consents._read_with_lock(fused), also_inserted=consents._read_with_insert(fused))
        stored = consents._stored_states(connection, row.id)
        assert set(stored) == {"marketing", "analytics", "cross_border_transfer"}
        assert stored["cross_border_transfer"].destinations == ["US"]
        if fused:
            assert consents._states_from_json(row.states) == stored
        db.session.rollback()


def test_event_ids_sort_by_the_time_they_were_recorded():
    """Events' primary keys grow at the index's right edge; ids of one millisecond still differ."""
    start = datetime(2026, 12, 3, 22, 0, tzinfo=timezone.utc)
    later = [new_time_ordered_id("evt", start + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert later == sorted(later)
    same = {new_time_ordered_id("evt", start) for _ in range(10_000)}
    assert len(same) == 10_000
    assert all(len(i) <= ConsentEvent.__table__.c.id.type.length for i in same)


def test_a_write_binds_each_table_as_one_json_text_with_times_and_json_kept(app, client, auth, clock):
    """The fused write's rows travel as JSON: the stored event has the exact time (microseconds),
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
