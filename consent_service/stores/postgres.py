"""The PostgreSQL consent store: each write one statement after one read, optimistically without a transaction.

Where SQLite is in process, every statement here is a round trip, so the store spends as few as it
can. The read of a write takes the subject with its states (as one JSON array), the head of its
chain (the subject's own head_hash: the partitioned ledger is not read), the generation and the
follow-up guard in one statement. The write is one statement of data-modifying CTEs: the subject's
row (updated while its revision is still the one read, or inserted), then the events, the states and
the companion rows, each table's rows bound as one JSON text, each written only if the subject's row
was. That same guard is what makes the optimistic mode safe: on a connection where each statement
commits by itself (no BEGIN, no COMMIT) a write that somebody overtook writes nothing and is folded
again on the new head. A batch lookup binds its identifiers as one JSON array, so every batch size is
one statement text the server prepares once.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, String, Table, any_, bindparam, cast, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSON
from sqlalchemy.orm import Session

from consent_service.consents.store import (
    CompanionRows,
    Confirmable,
    Found,
    Guards,
    NeedsTransaction,
    R,
    StateRow,
    SubjectHead,
    Write,
    Written,
)
from consent_service.stores import lookup
from consent_service.stores.hot import execute_hot
from consent_service.stores.postgres_driver import DIALECT, execute_driver_sql, json_insert_sql, json_rows, reserved_id
from consent_service.stores.statements import (
    EVENTS,
    STATE_FIELDS,
    STATES,
    SUBJECTS,
    head_of,
    identifier_columns,
    inserted_columns,
    states_statement,
    subject_insert,
    subject_read,
    unsaved_head,
)

# An optimistic write overtaken this many times leaves the write to a transaction: under contention
# the row lock's queue serves every writer in turn, where retries could starve one.
OPTIMISTIC_ATTEMPTS = 3

# (a new subject?, the subject's columns set, the companions' tables and added columns): one statement text each.
_Shape = tuple[bool, tuple[str, ...], tuple[tuple[Table, tuple[str, ...]], ...]]


class PostgresStore:
    """ConsentStore on PostgreSQL (consents/store.py)."""

    optimistic = True

    def __init__(self, guards: Guards) -> None:
        self._guards = guards
        state = func.json_build_array(*(STATES.c[name] for name in STATE_FIELDS))
        states = select(func.json_agg(state)).where(STATES.c.subject_id == SUBJECTS.c.id).scalar_subquery()
        self._read = subject_read(guards, states)
        self._lock = subject_read(guards, states, locking=True)
        self._insert = subject_insert("postgresql", guards)
        self._states = states_statement()
        self._generation, self._follow_up = (
            str(expression.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True}))
            for expression in (guards.generation, guards.follow_up)
        )
        self._write_sql: dict[_Shape, str] = {}

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
        return self.read(session.connection(), identifiers, purpose_keys, pseudonyms)

    def read(
        self,
        connection: Connection,
        identifiers: Sequence[tuple[str, str]],
        purpose_keys: Sequence[str] | None,
        pseudonyms: Sequence[str] | None,
    ) -> tuple[int, list[Found]]:
        """`lookup` on `connection`: the primary's, or a replica's (stores/routed.py)."""
        if len(identifiers) == 1:
            return lookup.read(connection, self._guards, identifiers, purpose_keys, pseudonyms)
        asked = [
            [kind, external_id, pseudonyms[index] if pseudonyms else ""]
            for index, (kind, external_id) in enumerate(identifiers)
        ]
        statement = _batch_statement(self._guards, purpose_keys is not None, bool(pseudonyms))
        params = {"asked": json.dumps(asked), "purposes": None if purpose_keys is None else list(purpose_keys)}
        return lookup.found(execute_hot(connection, statement, params).all(), len(identifiers))

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
        if optimistic:
            return self._record_optimistically(connection, kind, external_id, new_row, new_subject, snapshot, fold)
        params = {"kind": kind, "external_id": external_id}
        # A made-up identifier is inserted first, and comes back locked in the same statement.
        row = None if new_subject else execute_hot(connection, self._lock, params).one_or_none()
        if row is None:
            row = execute_hot(connection, self._insert, new_row).one_or_none()
        if row is None:
            row = execute_hot(connection, self._lock, params).one()
        snapshot.confirm(row.generation)
        states = _states_from_json(row.states)
        if row.read_revision != row.revision:
            # The lock waited for another writer: the row (with its head_hash) is its new version, but the
            # statement's states subquery saw the data as of before the wait. Read the states again, now.
            states = {
                state.purpose: StateRow(**state._asdict())
                for state in execute_hot(connection, self._states, {"subject_id": row.id}).all()
            }
        head = head_of(row, states)
        write = fold(head)
        written, _, _ = self._write(connection, head, write, None, None)
        if not written:
            raise RuntimeError("the subject's revision moved under its row lock")
        return Written(write, bool(row.follow_up))

    def _record_optimistically(
        self,
        connection: Connection,
        kind: str,
        external_id: str,
        new_row: Mapping[str, Any],
        new_subject: bool,
        snapshot: Confirmable,
        fold: Callable[[SubjectHead], Write[R]],
    ) -> Written[R]:
        """Read, fold, then the write, which holds only if nobody wrote the subject in between; again from
        the read if somebody did. A made-up identifier skips the read: its write inserts the subject, and
        checks the generation and the follow-up guard itself."""
        for _ in range(OPTIMISTIC_ATTEMPTS):
            row = (
                None
                if new_subject
                else execute_hot(connection, self._read, {"kind": kind, "external_id": external_id}).one_or_none()
            )
            if row is None:
                head = unsaved_head(new_row, reserved_id(connection, SUBJECTS))
            else:
                snapshot.confirm(row.generation)
                if row.follow_up:
                    raise NeedsTransaction()
                head = head_of(row, _states_from_json(row.states))
            write = fold(head)
            written, generation, follow_up = self._write(
                connection,
                head,
                write,
                new_row if head.revision is None else None,
                None if snapshot.final else snapshot.generation,
            )
            if written:
                return Written(write, False)
            snapshot.confirm(generation)
            if follow_up:
                raise NeedsTransaction()
            new_subject = False  # somebody else wrote the subject first (or created it): read it as it is now
        raise NeedsTransaction()

    def _write(
        self,
        connection: Connection,
        head: SubjectHead,
        write: Write[Any],
        new_row: Mapping[str, Any] | None,
        expected_generation: int | None,
    ) -> tuple[bool, int, bool]:
        """The write's one statement: whether it was written, and the generation and the follow-up guard as
        it saw them. `new_row`: the subject is inserted (with head.id), unless its identifier is there or
        the generation is not `expected_generation` (when given) or the follow-up guard is true;
        otherwise it is updated while its revision is still head.revision and it is not erased."""
        companions = _grouped(write.companions)
        values = tuple(sorted(write.subject_values))
        shape: _Shape = (new_row is not None, values, tuple(companions))
        sql = self._write_sql.get(shape) or self._write_sql.setdefault(shape, self._write_statement(shape))
        params: dict[str, Any] = {
            "consent_events": json_rows(EVENTS, inserted_columns(EVENTS), write.events),
            "consent_states": json_rows(STATES, inserted_columns(STATES), write.states),
        }
        for index, ((table, _), rows) in enumerate(companions.items()):
            params[f"companion_{index}"] = json_rows(table, inserted_columns(table), rows)
        if new_row is not None:
            row = {**new_row, **write.subject_values, "id": head.id}
            params["subjects"] = json_rows(SUBJECTS, _ALL_SUBJECT_COLUMNS, [row])
            params["expected_generation"] = expected_generation
        else:
            params.update({f"new_{name}": value for name, value in write.subject_values.items()})
            params["subject_id"], params["previous_revision"] = head.id, head.revision
        written, generation, follow_up = execute_driver_sql(connection, sql, params).one()
        return bool(written), int(generation), bool(follow_up)

    def _write_statement(self, shape: _Shape) -> str:
        new_subject, values, companions = shape
        if new_subject:
            subject = json_insert_sql(
                SUBJECTS,
                _ALL_SUBJECT_COLUMNS,
                param="subjects",
                conflict=identifier_columns(SUBJECTS),
                where=f"(%(expected_generation)s::bigint IS NULL OR {self._generation} = %(expected_generation)s) "
                f"AND NOT {self._follow_up}",
                returning=SUBJECTS.c.id.name,
            )
        else:
            assignments = ", ".join(f"{SUBJECTS.c[name].name} = %(new_{name})s" for name in values)
            subject = (
                f"UPDATE {SUBJECTS.name} SET {assignments} WHERE {SUBJECTS.c.id.name} = %(subject_id)s "
                f"AND {SUBJECTS.c.revision.name} = %(previous_revision)s "
                f"AND {SUBJECTS.c.erased_at.name} IS NULL RETURNING {SUBJECTS.c.id.name}"
            )
        guarded = "EXISTS (SELECT FROM subject)"
        keys = [column.name for column in STATES.primary_key]
        parts = [
            f"subject AS ({subject})",
            f"events AS ({json_insert_sql(EVENTS, inserted_columns(EVENTS), param='consent_events', where=guarded)})",
            "states AS ({})".format(
                json_insert_sql(
                    STATES,
                    inserted_columns(STATES),
                    param="consent_states",
                    where=guarded,
                    conflict=keys,
                    set_={name: f"excluded.{name}" for name in inserted_columns(STATES) if name not in keys},
                )
            ),
        ]
        for index, (table, add) in enumerate(companions):
            conflict = [column.name for column in table.primary_key] if add else []
            parts.append(
                "companion_{} AS ({})".format(
                    index,
                    json_insert_sql(
                        table,
                        inserted_columns(table),
                        param=f"companion_{index}",
                        where=guarded,
                        conflict=conflict,
                        set_={name: f"{table.name}.{name} + excluded.{name}" for name in add},
                    ),
                )
            )
        return (
            f"WITH {', '.join(parts)} SELECT {guarded} AS written, {self._generation} AS generation, "
            f"{self._follow_up} AS follow_up"
        )


@functools.lru_cache(maxsize=8)
def _batch_statement(guards: Guards, by_purpose: bool, suppression: bool) -> Select[Any]:
    """The statement for a batch: the identifiers bound as one JSON array of [kind,
    external_id, pseudonym], the purposes as an array. One text for every batch size, so the driver
    converts it once and the server prepares it once (psycopg parsed a hundred-part union anew on
    every execution, its text too long for its cache); JSON, because json.dumps writes it in C where
    psycopg dumps arrays element by element in Python."""
    rows = (
        func.json_array_elements(cast(bindparam("asked", type_=String), JSON))
        .table_valued(
            column("value", JSON),
            with_ordinality="position",
        )
        .render_derived()
    )
    asked = select(
        (rows.c.position - 1).label("i"),
        rows.c.value[0].astext.label("kind"),
        rows.c.value[1].astext.label("external_id"),
        rows.c.value[2].astext.label("pseudonym"),
    ).subquery("asked")
    purposes = STATES.c.purpose == any_(bindparam("purposes", type_=ARRAY(String))) if by_purpose else None
    return lookup.joined(guards, asked, purposes, suppression)


_ALL_SUBJECT_COLUMNS = tuple(each.name for each in SUBJECTS.c)


def _grouped(companions: Sequence[CompanionRows]) -> dict[tuple[Table, tuple[str, ...]], list[Mapping[str, Any]]]:
    """The companion rows by table and added columns, in table name order (one statement text per set)."""
    grouped: defaultdict[tuple[Table, tuple[str, ...]], list[Mapping[str, Any]]] = defaultdict(list)
    for companion in sorted(companions, key=lambda companion: companion.table.name):
        grouped[(companion.table, companion.add_on_conflict)].extend(companion.rows)
    return grouped


def _states_from_json(rows: list[list[Any]] | None) -> dict[str, StateRow]:
    """The states the subject's read took as JSON arrays (STATE_FIELDS order; times as ISO 8601)."""
    states = {}
    for values in rows or ():
        state = dict(zip(STATE_FIELDS, values, strict=True))
        state["updated_at"] = _utc(state["updated_at"])
        if state["notified_at"] is not None:
            state["notified_at"] = _utc(state["notified_at"])
        states[state["purpose"]] = StateRow(**state)
    return states


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
