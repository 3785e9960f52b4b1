"""PostgreSQL: opening the ledger takes the owner's role; a role merely granted UPDATE/DELETE sets the setting in vain.

SQLite has no roles (its evidence rests on the file's permissions and on checkpoints), so this runs
on PostgreSQL only.
"""
from __future__ import annotations

import secrets
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from tests.ledger.conftest import events_of

LEDGER_TABLES = ("consent_events", "consent_states", "retired_chains", "ledger_maintenance", "subjects")


@pytest.fixture
def plain_role(database_url):
    """A role with every privilege on the ledger tables but not the owner's role; dropped after."""
    name = f"ledger_writer_{secrets.token_hex(4)}"
    with db.engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {name} NOLOGIN"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {name}"))
        connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {', '.join(LEDGER_TABLES)} TO {name}"))
    yield name
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {name}"))
        connection.execute(text(f"DROP ROLE {name}"))


def _as(role: str, statement: str, **params) -> None:
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text(f"SET LOCAL ROLE {role}"))
        connection.execute(text("SET LOCAL consent.maintenance = 'on'"))
        connection.execute(text(statement), params)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_role_with_update_and_delete_cannot_open_the_ledger(ledger, plain_role, client, auth, flask_cli, clock, record):
    first = ledger[0]  # no state points at it: only the trigger stands in the way of deleting it
    with pytest.raises(DatabaseError, match="append-only"):
        _as(plain_role, "DELETE FROM consent_events WHERE id = :id", id=first.id)
    with pytest.raises(DatabaseError, match="append-only"):
        _as(plain_role, """UPDATE consent_events SET evidence = '{"reference": "forged"}' WHERE id = :id""", id=first.id)
    with pytest.raises(DatabaseError, match="append-only"):  # TRUNCATE fires no row trigger: a statement one refuses it
        _as(plain_role, "TRUNCATE consent_events, consent_states")
    assert len(events_of("c-1")) == 4 and events_of("c-1")[0].evidence == {"reference": "ticket-9"}

    # The service's own maintenance still opens it: erasure pseudonymizes, retention deletes.
    assert client.delete("/v1/subjects/customer/c-1", headers=auth("subjects:erase")).status_code == 200
    assert events_of("c-1") == []  # the identifier is gone; the events stay, pseudonymized
    kept = db.session.scalars(select(ConsentEvent).where(ConsentEvent.subject_id == first.subject_id)).all()
    assert [e.evidence["reference"].startswith("erased.") for e in kept] == [True] * 4
    record("visitor", "v-idle", [("analytics", "granted", "banner_custom")])
    clock.advance(days=400)
    assert "removed 1 chains" in flask_cli("retention", "run").output
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 5
    assert flask_cli("ledger", "verify").exit_code == 0
