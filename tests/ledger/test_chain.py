"""The ledger is tamper-evident: `flask ledger verify` finds an edit, a deletion, a swap; chains never fork."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from consent_service.extensions import db
from tests.ledger.conftest import events_of
from tests.rights.tamper import as_superuser

CONCURRENT_WRITES = 100


def test_an_intact_ledger_verifies(ledger, flask_cli):
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 0 and "ledger ok: 2 chains, 5 events" in result.output


def test_ordinary_paths_cannot_update_or_delete_even_the_personal_fields(ledger):
    db.session.rollback()  # the test's own session must not hold SQLite's write lock meanwhile
    for statement in ("UPDATE consent_events SET evidence = '{}'", "UPDATE consent_events SET hash = 'x'",
                      "DELETE FROM consent_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))


def test_an_edited_decision_is_named(ledger, flask_cli):
    as_superuser("UPDATE consent_events SET decision = 'granted' WHERE id = :id", id=ledger[1].id)
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"broken_hash: subject #{ledger[1].subject_id} event {ledger[1].id}" in result.output


def test_edited_evidence_is_named(ledger, flask_cli):
    as_superuser("""UPDATE consent_events SET evidence = '{"reference": "forged"}' WHERE id = :id""", id=ledger[2].id)
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and f"personal_fields: subject #{ledger[2].subject_id} event {ledger[2].id}" in result.output


def test_a_deleted_event_is_a_gap(ledger, flask_cli):
    as_superuser("DELETE FROM consent_events WHERE id = :id", id=ledger[1].id)
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and f"gap: subject #{ledger[2].subject_id} event {ledger[2].id}" in result.output


def test_a_deleted_last_event_is_a_gap_too(ledger, flask_cli):
    as_superuser("UPDATE consent_states SET event_id = :prev, event_recorded_at = "
                 "(SELECT recorded_at FROM consent_events WHERE id = :prev_id) WHERE event_id = :id",
                 "DELETE FROM consent_events WHERE id = :id", id=ledger[-1].id, prev=ledger[-2].id, prev_id=ledger[-2].id)
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and "gap:" in result.output and "the subject is at 4" in result.output


def test_two_swapped_events_are_named(ledger, flask_cli):
    first, second = ledger[1], ledger[2]
    as_superuser(
        "UPDATE consent_events SET revision = -1 WHERE id = :a",
        "UPDATE consent_events SET revision = :ra WHERE id = :b",
        "UPDATE consent_events SET revision = :rb WHERE id = :a",
        a=first.id, b=second.id, ra=first.revision, rb=second.revision,
    )
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and f"broken_link: subject #{first.subject_id} event {second.id}" in result.output


def test_a_forked_chain_is_named(ledger, flask_cli):
    """Two events after one predecessor: what a writer without the subject lock could produce."""
    last = ledger[-1]
    as_superuser(
        "UPDATE consent_events SET prev_hash = :prev WHERE id = :id", prev=ledger[-2].prev_hash, id=last.id
    )
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 1 and f"fork: subject #{last.subject_id} event {last.id}" in result.output


def test_concurrent_writes_to_one_subject_leave_one_unbroken_chain(app, auth, flask_cli):
    headers = auth("consents:write")

    def write(n: int) -> int:
        body = {"events": [{"purpose": "marketing", "decision": "granted" if n % 2 else "denied", "method": "api"}],
                "notice_version": "v1"}
        return app.test_client().post("/v1/subjects/customer/busy/consent-events", json=body, headers=headers).status_code

    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(write, range(CONCURRENT_WRITES))) == [201] * CONCURRENT_WRITES

    events = events_of("busy")
    assert [e.revision for e in events] == list(range(1, CONCURRENT_WRITES + 1))
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    result = flask_cli("ledger", "verify")
    assert result.exit_code == 0 and f"1 chains, {CONCURRENT_WRITES} events" in result.output


# Checkpoints, states and retirements: tests/ledger/test_evidence.py
