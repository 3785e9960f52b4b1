"""Subjects: find one by its identifier, create and lock it for a write, pseudonyms and suppression."""
from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import ColumnElement, Row, bindparam, select
from sqlalchemy.orm import Session

from consent_service.database import dialect_insert, execute_hot, upsert_insert
from consent_service.subjects.identifiers import canonical
from consent_service.subjects.models import Subject, SubjectLink, Suppression, new_evidence_key
from consent_service.vocabulary import SubjectKind


def find(*, session: Session, kind: str, external_id: str) -> Subject | None:
    return session.scalars(
        select(Subject).where(Subject.kind == kind, Subject.external_id == external_id)
    ).one_or_none()


def lock(*, session: Session, kind: str, external_id: str, now: datetime) -> Subject:
    """Get or create the subject and hold its row lock until the transaction ends.

    The insert comes first on purpose: on SQLite it takes the write lock before any read, so a
    concurrent writer waits instead of failing; on PostgreSQL the row lock that follows
    serializes writers of one subject while writers of other subjects run in parallel.
    """
    return lock_reading(session=session, kind=kind, external_id=external_id, now=now)[0]


def lock_reading(
    *, session: Session, kind: str, external_id: str, now: datetime, also: Sequence[ColumnElement[Any]] = ()
) -> tuple[Subject, tuple[Any, ...]]:
    """`lock`, also reading the expressions `also` (scalar subqueries) in the locking statement.

    On PostgreSQL an existing subject (the usual case) is locked by the select alone, and the
    insert is tried only when it is not there yet."""
    query = (
        select(Subject, *also)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .with_for_update(of=Subject)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(query).one_or_none()
        if row is not None:
            return row[0], tuple(row[1:])
    insert = upsert_insert(session)
    session.execute(
        insert(Subject)
        .values(kind=kind, external_id=external_id, revision=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "external_id"])
    )
    row = session.execute(query).one()
    return row[0], tuple(row[1:])


def lock_row(
    *, session: Session, kind: str, external_id: str, now: datetime, also: tuple[ColumnElement, ...] = (),
    new: bool = False, also_inserted: tuple[ColumnElement, ...] | None = None,
) -> Row:
    """`lock_reading` in Core: the subject's columns a write reads (WRITE_READS) and the labelled
    expressions `also` as one row.

    `new` says the identifier was just made up (a new visitor): on PostgreSQL the insert then
    comes first and returns the row, locked, in the same statement. The expressions of `also` that
    read other tables see the data as of the statement's start, which may predate a wait on the
    lock: callers compare what they read with the locked row. `also_inserted` replaces `also` in
    the RETURNING of that insert (subqueries there cannot correlate to the new row). The
    statements are built once per `also` (on PostgreSQL, compiled once to the driver's SQL: this is
    the first round trip of a write in a transaction); requests only bind values."""
    connection = session.connection()
    query, insert, insert_returning, _ = _lock_statements(connection.dialect.name, also, also_inserted)
    params = {"kind": kind, "external_id": external_id}
    if connection.dialect.name == "postgresql" and not new:
        row = execute_hot(connection, query, params).one_or_none()
        if row is not None:
            return row
    # Every column the insert writes is bound, defaults too: the driver's statement computes none.
    inserted = {**params, "now": now, "evidence_key": new_evidence_key()}
    if connection.dialect.name == "postgresql":
        row = execute_hot(connection, insert_returning, inserted).one_or_none()
        if row is not None:
            return row
    else:
        connection.execute(insert, inserted)
    return execute_hot(connection, query, params).one()


def read_row(*, session: Session, kind: str, external_id: str, also: tuple[ColumnElement, ...] = ()) -> Row | None:
    """`lock_row`'s row, read without locking (outside a transaction: an optimistic writer, whose
    write then holds only if the subject's revision is still the one read), or None."""
    connection = session.connection()
    read = _lock_statements(connection.dialect.name, also, None)[3]
    return execute_hot(connection, read, {"kind": kind, "external_id": external_id}).one_or_none()


# The subject's columns a write reads (every column read costs on both sides of the socket, in every write).
WRITE_READS = ("id", "kind", "external_id", "revision", "country", "born_by", "evidence_key", "restricted", "erased_at")


@functools.lru_cache(maxsize=16)
def _lock_statements(
    dialect: str, also: tuple[ColumnElement, ...], also_inserted: tuple[ColumnElement, ...] | None
) -> tuple:
    table = Subject.__table__
    columns = [table.c[name] for name in WRITE_READS]
    read = select(*columns, *also).where(table.c.kind == bindparam("kind"), table.c.external_id == bindparam("external_id"))
    query = read.with_for_update(of=table)
    insert = dialect_insert(dialect)(table).values(
        kind=bindparam("kind"), external_id=bindparam("external_id"), revision=0, restricted=False,
        evidence_key=bindparam("evidence_key"), created_at=bindparam("now"), updated_at=bindparam("now"),
    ).on_conflict_do_nothing(index_elements=["kind", "external_id"])
    return query, insert, insert.returning(*columns, *(also if also_inserted is None else also_inserted)), read


def pseudonym(*, pepper: str, kind: str, external_id: str) -> str:
    """The keyed pseudonym of an identifier: stable, and unlinkable without the pepper."""
    return hmac.new(pepper.encode(), f"{kind}:{external_id}".encode(), hashlib.sha256).hexdigest()


def suppression(*, session: Session, pepper: str, kind: str, external_id: str) -> Suppression | None:
    """The suppression entry an erasure left for this identifier, if one did."""
    return session.get(Suppression, (kind, pseudonym(pepper=pepper, kind=kind, external_id=external_id)))


def suppressed_since(*, session: Session, pepper: str, kind: str, external_id: str) -> datetime | None:
    """When a subject with this identifier was erased and suppressed, if it was."""
    entry = suppression(session=session, pepper=pepper, kind=kind, external_id=external_id)
    return entry.created_at if entry is not None else None


def find_for_update(*, session: Session, kind: str, external_id: str) -> Subject | None:
    """The subject with its row lock held until the transaction ends, if it exists."""
    return session.scalars(
        select(Subject)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def links_of(*, session: Session, subject: Subject) -> list[Subject]:
    """A customer's linked visitors, or a visitor's customer (a list of one)."""
    if subject.kind == SubjectKind.CUSTOMER:
        other, mine = SubjectLink.visitor_subject_id, SubjectLink.customer_subject_id
    else:
        other, mine = SubjectLink.customer_subject_id, SubjectLink.visitor_subject_id
    return list(session.scalars(
        select(Subject).join(SubjectLink, Subject.id == other).where(mine == subject.id).order_by(Subject.id)
    ))


def link(*, session: Session, customer: Subject, visitor: Subject, now: datetime) -> SubjectLink:
    """Link the visitor to the customer; a visitor that logs in as another customer moves to it."""
    existing = session.get(SubjectLink, visitor.id)
    if existing is None:
        existing = SubjectLink(visitor_subject_id=visitor.id, customer_subject_id=customer.id, linked_at=now)
        session.add(existing)
    else:
        existing.customer_subject_id, existing.linked_at = customer.id, now
    session.flush()
    return existing


@dataclass(frozen=True)
class NonCanonical:
    """A subject stored before identifiers were made canonical, in a spelling no request reaches any more."""

    subject_id: int
    kind: str
    # Another subject already holds the canonical spelling: the two are separate chains of evidence.
    collides: bool


def non_canonical(*, session: Session, batch: int = 1000) -> list[NonCanonical]:
    """Stored, unerased subjects whose identifier is not canonical (subjects/identifiers.py); nothing is changed."""
    found: list[tuple[int, str, str]] = []
    rows = session.execute(select(Subject.id, Subject.kind, Subject.external_id).where(Subject.erased_at.is_(None))
                           .execution_options(yield_per=batch))
    for subject_id, kind, external_id in rows:
        spelled = canonical(external_id)
        if spelled != external_id:
            found.append((subject_id, kind, spelled))
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(found), batch):
        wanted = found[start:start + batch]
        taken.update(session.execute(select(Subject.kind, Subject.external_id).where(
            Subject.external_id.in_([spelled for _, _, spelled in wanted]))).all())
    return [NonCanonical(subject_id=i, kind=kind, collides=(kind, spelled) in taken) for i, kind, spelled in found]
