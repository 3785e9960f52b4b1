"""The SQLite consent store: each write under the database's write lock, one statement per table.

SQLite is in process: a statement costs no round trip, so nothing is gained by fusing them, and a
writing request holds the write lock from its first statement (write_intent.py), which serializes
the writers of every subject. There is no optimistic mode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from consent_service.consents.store import Confirmable, Found, Guards, R, StateRow, SubjectHead, Write, Written
from consent_service.stores import lookup
from consent_service.stores.hot import execute_hot
from consent_service.stores.statements import (
    EVENTS,
    STATES,
    SUBJECTS,
    head_of,
    states_statement,
    subject_insert,
    subject_read,
    upsert,
)


class SqliteStore:
    """ConsentStore on SQLite (consents/store.py)."""

    optimistic = False

    def __init__(self, guards: Guards) -> None:
        self._guards = guards
        self._lock = subject_read(guards, None).with_for_update(of=SUBJECTS)
        self._insert = subject_insert("sqlite")
        self._states = states_statement()
        self._events = insert(EVENTS)
        self._upsert_states = upsert("sqlite", STATES)
        # The SET clause follows the parameters' names.
        self._update = update(SUBJECTS).where(SUBJECTS.c.id == bindparam("subject_key"))

    def lookup(
        self,
        *,
        session: Session,
        identifiers: Sequence[tuple[str, str]],
        purpose_keys: Sequence[str] | None,
        pseudonyms: Sequence[str] | None,
        min_revisions: Sequence[int] | None = None,
    ) -> tuple[int, list[Found]]:
        # Read on this store's own database, the newest state there is: every revision written is in it.
        return lookup.read(session.connection(), self._guards, identifiers, purpose_keys, pseudonyms)

    def record(
        self,
        *,
        session: Session,
        kind: str,
        external_id: str,
        new_row: Mapping[str, Any],
        new_subject: bool,
        optimistic: bool,
        snapshot: Confirmable,
        fold: Callable[[SubjectHead], Write[R]],
    ) -> Written[R]:
        connection = session.connection()
        # The insert comes first: a writer that began deferred takes the write lock here, before any read.
        execute_hot(connection, self._insert, new_row)
        row = execute_hot(connection, self._lock, {"kind": kind, "external_id": external_id}).one()
        snapshot.confirm(row.generation)
        stored = execute_hot(connection, self._states, {"subject_id": row.id}).all() if row.revision else []
        states = {state.purpose: StateRow(**state._asdict()) for state in stored}
        write = fold(head_of(row, states))
        connection.execute(self._events, list(write.events))
        connection.execute(self._upsert_states, list(write.states))
        connection.execute(self._update, {"subject_key": row.id, **write.subject_values})
        for companion in write.companions:
            if companion.rows:
                statement = _companion_statement(companion.table, companion.add_on_conflict)
                connection.execute(statement, list(companion.rows))
        return Written(write, bool(row.follow_up))


@functools.lru_cache(maxsize=16)
def _companion_statement(table: Table, add: tuple[str, ...]) -> Insert:
    return upsert("sqlite", table, add) if add else insert(table)
