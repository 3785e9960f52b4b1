"""Subjects: find one by its identifier, or create and lock it for a write."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.database import upsert_insert
from consent_service.subjects.models import Subject


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
    insert = upsert_insert(session)
    session.execute(
        insert(Subject)
        .values(kind=kind, external_id=external_id, revision=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "external_id"])
    )
    return session.scalars(
        select(Subject)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
