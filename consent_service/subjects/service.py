"""Subjects: find, create and lock one by its identifier, the row a new one is stored with, pseudonyms, suppression."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.database import upsert_insert
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
    query = (
        select(Subject)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .with_for_update(of=Subject)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        # An existing subject (the usual case) is locked by the select alone; the insert comes only when it is missing.
        subject = session.scalars(query).one_or_none()
        if subject is not None:
            return subject
    insert = upsert_insert(session)
    session.execute(
        insert(Subject)
        .values(kind=kind, external_id=external_id, revision=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "external_id"])
    )
    return session.scalars(query).one()


def new_row(*, kind: str, external_id: str, now: datetime) -> dict[str, Any]:
    """The row a new subject is stored with, every column but its id: what a consent store inserts
    for an identifier it does not have yet (consents/store.py)."""
    return {
        "kind": kind,
        "external_id": external_id,
        "revision": 0,
        "head_hash": None,
        "country": None,
        "minor_until": None,
        "born_by": None,
        "evidence_key": new_evidence_key(),
        "restricted": False,
        "restricted_at": None,
        "erased_at": None,
        "created_at": now,
        "updated_at": now,
    }


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
    return list(
        session.scalars(
            select(Subject).join(SubjectLink, Subject.id == other).where(mine == subject.id).order_by(Subject.id)
        )
    )


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
    rows = session.execute(
        select(Subject.id, Subject.kind, Subject.external_id)
        .where(Subject.erased_at.is_(None))
        .execution_options(yield_per=batch)
    )
    for subject_id, kind, external_id in rows:
        spelled = canonical(external_id)
        if spelled != external_id:
            found.append((subject_id, kind, spelled))
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(found), batch):
        wanted = found[start : start + batch]
        taken.update(
            session.execute(
                select(Subject.kind, Subject.external_id).where(
                    Subject.external_id.in_([spelled for _, _, spelled in wanted])
                )
            ).all()
        )
    return [NonCanonical(subject_id=i, kind=kind, collides=(kind, spelled) in taken) for i, kind, spelled in found]
