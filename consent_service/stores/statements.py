"""The write path's statements both stores run, built from the table metadata (no column list written by hand)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, UniqueConstraint, bindparam, null, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import ColumnElement

from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.consents.store import Guards, StateRow, SubjectHead
from consent_service.subjects.models import Subject

SUBJECTS, EVENTS, STATES = Subject.__table__, ConsentEvent.__table__, ConsentState.__table__
# The subject's columns a write reads (every column read costs on both sides of the socket, in every write).
SUBJECT_READS = (
    "id",
    "kind",
    "external_id",
    "revision",
    "country",
    "born_by",
    "evidence_key",
    "restricted",
    "erased_at",
)
STATE_FIELDS = tuple(field.name for field in dataclasses.fields(StateRow))


@functools.cache
def inserted_columns(table: Table) -> tuple[str, ...]:
    """Every column of `table` but an autoincrement primary key: what an inserted row names."""
    return tuple(column.name for column in table.c if not (column.primary_key and column.autoincrement is True))


def identifier_columns(table: Table) -> list[str]:
    """The columns of the table's one unique constraint (a subject's kind and external_id)."""
    (unique,) = (constraint for constraint in table.constraints if isinstance(constraint, UniqueConstraint))
    return [column.name for column in unique.columns]


def subject_read(guards: Guards, states: ColumnElement[Any] | None, *, locking: bool = False) -> Select[Any]:
    """The subject by identifier with what a write reads alongside: the generation, the head of its chain
    (its own `head_hash`: no read of the ledger, whose partitions would each be probed), whether the caller
    has a follow-up, and `states`.

    `locking`: the statement is to take the row lock (FOR UPDATE), and also returns `read_revision`, the
    subject's revision as the statement's snapshot saw it. On PostgreSQL a lock that waited for another
    writer returns the row's new version, but the subqueries (`states`) still see the data of before the
    wait: a `read_revision` other than `revision` says so."""
    columns = [
        *(SUBJECTS.c[name] for name in SUBJECT_READS),
        guards.generation.label("generation"),
        SUBJECTS.c.head_hash,
        guards.follow_up.label("follow_up"),
        (states if states is not None else null()).label("states"),
    ]
    if locking:
        seen = SUBJECTS.alias("seen")
        columns.append(
            select(seen.c.revision).where(seen.c.id == SUBJECTS.c.id).scalar_subquery().label("read_revision")
        )
    statement = select(*columns).where(*(SUBJECTS.c[name] == bindparam(name) for name in identifier_columns(SUBJECTS)))
    return statement.with_for_update(of=SUBJECTS) if locking else statement


def subject_insert(dialect: str, guards: Guards | None = None) -> Insert:
    """Insert a new subject's row (every column bound) unless its identifier is there; with `guards`,
    returning the columns of `subject_read` with `locking` (a new subject has no events nor states yet)."""
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SUBJECTS)
    statement = insert.values({name: bindparam(name) for name in inserted_columns(SUBJECTS)}).on_conflict_do_nothing(
        index_elements=identifier_columns(SUBJECTS)
    )
    if guards is None:
        return statement
    return statement.returning(
        *(SUBJECTS.c[name] for name in SUBJECT_READS),
        guards.generation.label("generation"),
        SUBJECTS.c.head_hash,
        guards.follow_up.label("follow_up"),
        null().label("states"),
        SUBJECTS.c.revision.label("read_revision"),  # a row just inserted: no lock was waited for
    )


def head_of(row: Any, states: dict[str, StateRow]) -> SubjectHead:
    """The SubjectHead of a `subject_read` row."""
    return SubjectHead(
        id=row.id,
        kind=row.kind,
        external_id=row.external_id,
        revision=row.revision,
        country=row.country,
        born_by=row.born_by,
        restricted=bool(row.restricted),
        evidence_key=row.evidence_key,
        erased=row.erased_at is not None or row.evidence_key is None,
        head_hash=row.head_hash if row.revision else None,
        states=states,
    )


def unsaved_head(new_row: Mapping[str, Any], subject_id: int) -> SubjectHead:
    """The SubjectHead of a subject the write inserts, with its id taken ahead."""
    return SubjectHead(
        id=subject_id,
        kind=new_row["kind"],
        external_id=new_row["external_id"],
        revision=None,
        country=new_row["country"],
        born_by=new_row["born_by"],
        restricted=bool(new_row["restricted"]),
        evidence_key=new_row["evidence_key"],
        erased=False,
        head_hash=None,
        states={},
    )


def dialect_insert(dialect: str) -> Callable[[Table], Any]:
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def upsert(dialect: str, table: Table, add: tuple[str, ...] = ()) -> Insert:
    """Insert rows of `table`; on its primary key already there, add the `add` columns to the stored
    row's, or (no `add`) replace every other column."""
    statement = dialect_insert(dialect)(table)
    keys = [column.name for column in table.primary_key]
    if add:
        set_ = {name: table.c[name] + statement.excluded[name] for name in add}
    else:
        set_ = {column.name: statement.excluded[column.name] for column in table.c if not column.primary_key}
    return cast(Insert, statement.on_conflict_do_update(index_elements=keys, set_=set_))


def states_statement() -> Select[Any]:
    """The subject's stored states, in StateRow's fields."""
    return select(*(STATES.c[name] for name in STATE_FIELDS)).where(STATES.c.subject_id == bindparam("subject_id"))
