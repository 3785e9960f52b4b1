"""The consent store's contract (consents/store.py), run against the SQLite store and the PostgreSQL store alike."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.consents.store import CompanionRows, NeedsTransaction, StateRow, SubjectHead, Write, store_for
from consent_service.extensions import db
from consent_service.flows.record_consent import outside_transaction, record_consent
from consent_service.generations import service as generations
from consent_service.generations.service import StaleSnapshot
from consent_service.ledger import service as ledger
from consent_service.reports.models import ConsentRollup
from consent_service.rights import erasure
from consent_service.runtime import runtime
from consent_service.stores.postgres import OPTIMISTIC_ATTEMPTS
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
from consent_service.vocabulary import Decision, Method
from consent_service.webhooks.models import WebhookEndpoint, WebhookEvent

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
MARKETING_DENIED = [consents.EventInput("marketing", Decision.DENIED, Method.API)]


def _record(app, clock, external_id: str, *, events=MARKETING_DENIED, new_subject: bool = False, written_with=None,
            context: consents.EventContext | None = None, snapshot=None) -> consents.SubjectState:
    """The flow as the consent-events endpoint runs it (optimistic where the store can be), in a session of its own."""
    with Session(db.engine) as session:
        state = outside_transaction(session, lambda optimistic: record_consent(
            session=session, kind="customer", external_id=external_id, events=events,
            context=context or consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
            new_subject=new_subject, optimistic=optimistic, written_with=written_with, snapshot=snapshot,
        ))
        session.commit()
        return state


def _count(model) -> int:
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _chain_ok() -> bool:
    with Session(db.engine) as session:
        return ledger.verify(session=session).ok


def test_a_record_is_read_back_by_lookup_as_written(app, clock):
    """What record writes (states, times to the microsecond, transfer destinations, JSON nulls) is what lookup reads."""
    clock.advance(microseconds=123457)
    _record(app, clock, "c-1", events=[consents.EventInput("marketing", Decision.GRANTED, Method.API),
                                       consents.EventInput("analytics", Decision.DENIED, Method.API)],
            context=consents.EventContext(notice_version="v1", country="DE"))
    clock.advance(seconds=1)
    _record(app, clock, "c-1", events=[consents.EventInput("cross_border_transfer", Decision.GRANTED, Method.WRITTEN)],
            context=consents.EventContext(notice_version="v2", destination_country="US"))
    with Session(db.engine) as session:
        generation, (found,) = store_for(session).lookup(
            session=session, identifiers=[("customer", "c-1")], purpose_keys=None, pseudonyms=None)
        assert generation == generations.current_generation(session=session)
        assert found.subject is not None and (found.subject.revision, found.subject.country) == (3, "DE")
        assert set(found.states) == {"marketing", "analytics", "cross_border_transfer"}
        transfer = found.states["cross_border_transfer"]
        assert (transfer.destinations, transfer.revision, transfer.updated_at) == (["US"], 3, clock())
        assert found.states["marketing"].updated_at == clock() - timedelta(seconds=1)
        assert found.states["marketing"].destinations is None
        stored = session.scalars(select(ConsentState).where(ConsentState.purpose == "marketing")).one()
        assert stored.updated_at == found.states["marketing"].updated_at
    assert _chain_ok()


def test_the_store_hands_the_fold_the_head_and_states_it_follows(app, clock):
    """Each record's fold gets the subject as stored: its revision, the hash its next event chains to, its states."""
    _record(app, clock, "c-1")
    seen: list[SubjectHead] = []
    with Session(db.engine) as session:
        snapshot = generations.fresh(session=session)

        def fold(head: SubjectHead) -> Write[None]:
            seen.append(head)
            raise LookupError("nothing to write")  # the domain refusing: nothing is written

        with pytest.raises(LookupError):
            store_for(session).record(
                session=session, kind="customer", external_id="c-1",
                new_row=subjects.new_row(kind="customer", external_id="c-1", now=clock()), new_subject=False,
                optimistic=False, snapshot=snapshot, fold=fold)
        session.rollback()
        latest = session.scalars(select(ConsentEvent)).one()
    (head,) = seen
    assert (head.revision, head.head_hash, head.erased) == (1, latest.hash, False)
    assert set(head.states) == {"marketing"} and head.states["marketing"].decision == "denied"
    assert isinstance(head.states["marketing"], StateRow)
    assert _count(ConsentEvent) == 1


def test_a_new_subject_is_inserted_with_its_first_events(app, clock):
    state = _record(app, clock, "c-new", new_subject=True)
    assert state.revision == 1 and state.subject_key is not None
    with Session(db.engine) as session:
        subject = session.scalars(select(Subject)).one()
        assert (subject.id, subject.revision, subject.external_id) == (state.subject_key, 1, "c-new")
        assert subject.evidence_key is not None and subject.created_at == clock()
    assert _chain_ok()


def test_a_made_up_identifier_that_exists_is_written_as_the_existing_subject(app, clock):
    first = _record(app, clock, "c-1")
    state = _record(app, clock, "c-1", new_subject=True)
    assert (first.revision, state.revision, state.subject_key) == (1, 2, first.subject_key)
    assert _count(Subject) == 1 and _chain_ok()


def test_companion_rows_are_written_with_the_events(app, clock):
    """The rollup's counts and a caller's rows go with the events."""
    from consent_service.tokens.service import ISSUED_TOKENS

    def token_row(state: consents.SubjectState) -> list[CompanionRows]:
        return [CompanionRows(ISSUED_TOKENS, [{
            "jti": f"jti-{state.revision}", "subject_id": state.subject_key, "issued_for": "banner",
            "property_key": None, "issued_at": clock(), "expires_at": clock() + timedelta(days=1)}])]

    _record(app, clock, "c-1", written_with=token_row, new_subject=True)
    _record(app, clock, "c-1", written_with=token_row)
    with Session(db.engine) as session:
        assert session.execute(text("SELECT jti FROM issued_tokens ORDER BY jti")).scalars().all() == ["jti-1", "jti-2"]
        counts = session.execute(select(ConsentRollup.purpose, ConsentRollup.count)).all()
        assert counts == [("marketing", 2)]  # one rollup row, its count added to


def test_companion_rows_are_not_written_when_the_events_are_not(app, clock):
    """A refused write (here: a companion row that breaks a constraint) leaves no events, states, subject or rows."""
    from consent_service.tokens.service import ISSUED_TOKENS

    def broken(state: consents.SubjectState) -> list[CompanionRows]:
        return [CompanionRows(ISSUED_TOKENS, [{
            "jti": "x", "subject_id": state.subject_key, "issued_for": "banner", "property_key": None,
            "issued_at": clock(), "expires_at": clock()}, {
            "jti": "x", "subject_id": state.subject_key, "issued_for": "banner", "property_key": None,
            "issued_at": clock(), "expires_at": clock()}])]

    _record(app, clock, "c-1")
    with pytest.raises(Exception) as raised:  # the database's own IntegrityError, whichever the store
        _record(app, clock, "c-1", written_with=broken)
    assert "IntegrityError" in type(raised.value).__name__
    assert (_count(ConsentEvent), _count(ConsentRollup)) == (1, 1)
    with Session(db.engine) as session:
        assert session.execute(text("SELECT count(*) FROM issued_tokens")).scalar_one() == 0
        assert session.scalars(select(Subject.revision)).one() == 1


def test_the_outbox_row_follows_only_when_an_endpoint_is_enabled(app, clock):
    _record(app, clock, "c-1")
    assert _count(WebhookEvent) == 0
    _enable_an_endpoint(clock)
    _record(app, clock, "c-1")
    assert _count(WebhookEvent) == 1 and _count(ConsentEvent) == 2


def _enable_an_endpoint(clock) -> None:
    with Session(db.engine) as session:
        session.add(WebhookEndpoint(id="whe_1", url="https://hooks.example/x", description="", event_types=["consent.changed"],
                                    secret_encrypted="x", enabled=True, created_at=clock(), updated_at=clock()))
        session.commit()


def test_an_erased_subject_is_refused_and_nothing_written(app, clock):
    _record(app, clock, "c-1")
    with Session(db.engine) as session:
        session.execute(update(Subject).values(erased_at=clock(), evidence_key=None))
        session.commit()
    with pytest.raises(consents.SubjectErased):
        _record(app, clock, "c-1")
    assert _count(ConsentEvent) == 1


def test_a_stale_snapshot_is_refused_before_anything_is_written(app, clock):
    with Session(db.engine) as session:
        stale = generations.load(session=session)  # not final: confirmed by every read
        session.execute(text("UPDATE generations SET value = value + 1"))
        session.commit()
    with pytest.raises(StaleSnapshot):
        _record(app, clock, "c-1", snapshot=stale)
    _record(app, clock, "c-2")
    with pytest.raises(StaleSnapshot):
        _record(app, clock, "c-2", snapshot=stale)
    assert _count(ConsentEvent) == 1


def test_a_batch_lookup_answers_in_the_order_asked(app, clock):
    for external_id in ("c-3", "c-1"):
        _record(app, clock, external_id)
    asked = [("customer", "c-1"), ("customer", "nobody"), ("customer", "c-3"), ("customer", "c-1")]
    with Session(db.engine) as session:
        _, found = store_for(session).lookup(session=session, identifiers=asked, purpose_keys=["analytics", "marketing"],
                                             pseudonyms=None)
        _, (one,) = store_for(session).lookup(session=session, identifiers=asked[:1], purpose_keys=["analytics"],
                                              pseudonyms=None)
    assert [entry.subject and entry.subject.revision for entry in found] == [1, None, 1, 1]
    assert found[0].subject == found[3].subject and found[0].subject != found[2].subject
    assert [set(entry.states) for entry in found] == [{"marketing"}, set(), {"marketing"}, {"marketing"}]
    assert one.subject is not None and one.states == {}  # only the purposes asked about


def test_lookup_finds_the_suppression_of_an_erased_identifier(app, clock):
    pepper = "p" * 32
    _record(app, clock, "c-1", events=[consents.EventInput("marketing", Decision.DENIED, Method.API)])
    with Session(db.engine) as session:
        erasure.erase(session=session, kind="customer", external_id="c-1", pepper=pepper, now=clock())
        session.commit()
    asked = [("customer", "c-1"), ("customer", "c-2")]
    pseudonyms = [subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id) for kind, external_id in asked]
    with Session(db.engine) as session:
        for identifiers, names in ((asked, pseudonyms), (asked[:1], pseudonyms[:1])):
            _, found = store_for(session).lookup(session=session, identifiers=identifiers, purpose_keys=None,
                                                 pseudonyms=names)
            assert found[0].subject is None and found[0].suppressed_since == clock()
            assert found[0].suppressed_purposes is not None and "marketing" in found[0].suppressed_purposes
        _, (unsuppressed,) = store_for(session).lookup(session=session, identifiers=asked[:1], purpose_keys=None,
                                                       pseudonyms=None)
        assert unsuppressed.suppressed_since is None


def test_writers_of_one_subject_queue_on_its_lock_and_the_chain_does_not_fork(app, clock):
    """A writer in a transaction holds the subject until it commits; a second one waits, then follows its head."""
    _record(app, clock, "c-1")
    first = Session(db.engine)
    record_consent(session=first, kind="customer", external_id="c-1", events=MARKETING_DENIED,
                   context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock())
    done: list[consents.SubjectState] = []
    def write() -> None:
        with app.app_context():
            done.append(_record(app, clock, "c-1"))

    second = threading.Thread(target=write)
    second.start()
    if db.engine.dialect.name == "postgresql":
        _wait_for_a_lock_wait()
    first.commit()
    first.close()
    second.join(timeout=30)
    assert [state.revision for state in done] == [3]
    with Session(db.engine) as session:
        assert session.scalars(select(ConsentEvent.revision).order_by(ConsentEvent.revision)).all() == [1, 2, 3]
    assert _chain_ok()


def _wait_for_a_lock_wait() -> None:
    """Until another backend waits on a lock (the second writer on the subject's row), for at most 10 s."""
    with db.engine.connect() as connection:
        for _ in range(1000):
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).scalar_one()
            if waiting:
                return
            connection.execute(text("SELECT pg_sleep(0.01)"))
    raise AssertionError("the second writer never waited on the subject's lock")


def test_outside_a_transaction_the_work_is_optimistic_only_where_the_store_is(app):
    with Session(db.engine) as session:
        modes: list[bool] = []
        outside_transaction(session, modes.append)
        assert modes == [store_for(session).optimistic]
        assert store_for(session).optimistic is (db.engine.dialect.name == "postgresql")


def _overtaken(app, clock, times: int):
    """A `written_with` that lets another request write the subject (and commit) before the first
    `times` statements of ours, and the revisions it was called on."""
    calls: list[int] = []

    def overtake(state: consents.SubjectState) -> list[CompanionRows]:
        calls.append(state.revision)
        if len(calls) <= times:
            _record(app, clock, "c-1")  # another request, committed before ours writes
        return []

    return overtake, calls


@ON_POSTGRESQL
def test_an_optimistic_write_that_another_writer_overtook_is_done_again(app, clock):
    """Between the read and the write another writer commits: the write writes nothing (the revision
    moved), and is folded again on the new head, so the chain does not fork."""
    _record(app, clock, "c-1")
    overtake, calls = _overtaken(app, clock, times=1)
    state = _record(app, clock, "c-1", written_with=overtake)
    assert calls == [2, 3] and state.revision == 3
    assert _count(ConsentEvent) == 3 and _chain_ok()


@ON_POSTGRESQL
def test_a_write_overtaken_again_and_again_is_left_to_a_transaction(app, clock):
    """Retries could starve a writer of a busy subject: after OPTIMISTIC_ATTEMPTS it raises NeedsTransaction,
    and the flow writes in a transaction under the subject's row lock, where writers queue."""
    _record(app, clock, "c-1")
    overtake, calls = _overtaken(app, clock, times=OPTIMISTIC_ATTEMPTS)
    with Session(db.engine) as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        with pytest.raises(NeedsTransaction):
            record_consent(session=session, kind="customer", external_id="c-1", events=MARKETING_DENIED,
                           context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
                           optimistic=True, written_with=overtake)
    assert _count(ConsentEvent) == 1 + OPTIMISTIC_ATTEMPTS
    calls.clear()  # through the flow: overtaken as often again, then under the lock
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        state = _record(app, clock, "c-1", written_with=overtake)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert state.revision == 2 * OPTIMISTIC_ATTEMPTS + 2 and _chain_ok()
    assert "FOR UPDATE" in [statement for statement in statements if "FROM subjects" in statement][-1]


@ON_POSTGRESQL
def test_an_optimistic_write_with_an_outbox_row_due_is_left_to_a_transaction(app, clock):
    _record(app, clock, "c-1")
    _enable_an_endpoint(clock)
    for new_subject, external_id in ((False, "c-1"), (True, "c-new")):
        with Session(db.engine) as session:
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            with pytest.raises(NeedsTransaction):
                record_consent(session=session, kind="customer", external_id=external_id, events=MARKETING_DENIED,
                               context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
                               optimistic=True, new_subject=new_subject)
    assert _count(ConsentEvent) == 1 and _count(Subject) == 1

