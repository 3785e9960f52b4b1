"""Write and read the audit log; entries are only ever added."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.audit.models import AuditEntry

MAX_TARGET_LENGTH = 300


def record(
    *,
    session: Session,
    actor_key_id: int,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction, so it exists exactly when the action committed."""
    entry = AuditEntry(
        at=now,
        actor_key_id=actor_key_id,
        actor=actor,
        action=action,
        target=target[:MAX_TARGET_LENGTH],
        details=dict(details or {}),
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(*, session: Session, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    """The newest entries first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def entries_about(*, session: Session, action: str, target: str, limit: int = 20) -> list[AuditEntry]:
    """The newest entries of one action on one target first (such as the erasures of one pseudonym)."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.target == target[:MAX_TARGET_LENGTH])
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
