"""Erase a subject: pseudonymize it (rights), tell webhook receivers (webhooks), note the operator (audit), commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.audit import service as audit
from consent_service.rights import erasure
from consent_service.subjects import service as subjects
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import service as webhooks

AUDIT_ACTION = "subject_erased"


@dataclass(frozen=True)
class Operator:
    """Who erased, when a person at the console did: the audit log names them."""

    key_id: int
    actor: str


def erase_subject(
    *, session: Session, kind: str, external_id: str, pepper: str, now: datetime, operator: Operator | None = None
) -> dict[str, Any]:
    """Erase the subject and return the receipt, all committed together; erasing again replays the
    receipt and tells receivers nothing new."""
    receipt = erase_and_announce(session=session, kind=kind, external_id=external_id, pepper=pepper, now=now)
    if operator is not None:
        # The audit log names the pseudonym, never the erased identifier.
        audit.record(
            session=session,
            actor_key_id=operator.key_id,
            actor=operator.actor,
            action=AUDIT_ACTION,
            target=_audit_target(kind, receipt["subject"]["pseudonym"]),
            now=now,
            details={"receipt": receipt["id"], "repeated": receipt["repeated"]},
        )
    session.commit()
    return receipt


def _audit_target(kind: str, pseudonym: str) -> str:
    return f"{kind}:{pseudonym}"


@dataclass(frozen=True)
class ErasureRecord:
    """What is known of an identifier's erasure: its receipt (as the API answered it), the suppression that keeps
    it out, and the console operator who erased it (None: through the API or a privacy request, which name none)."""

    receipt: dict[str, Any]
    suppressed_since: datetime
    refused_purposes: list[str]
    operator: str | None


def recorded_erasure(*, session: Session, kind: str, external_id: str, pepper: str) -> ErasureRecord | None:
    """The erasure of this identifier, if it was erased; the newest, if it came back and was erased again."""
    entry = subjects.suppression(session=session, pepper=pepper, kind=kind, external_id=external_id)
    if entry is None:
        return None
    receipt = dict(entry.receipt)
    operator = next(
        (
            audited.actor
            for audited in audit.entries_about(
                session=session, action=AUDIT_ACTION, target=_audit_target(kind, entry.pseudonym)
            )
            # The erasure itself, not a later repeat of it (which replays the same receipt).
            if audited.details.get("receipt") == receipt["id"] and not audited.details.get("repeated")
        ),
        None,
    )
    return ErasureRecord(
        receipt=receipt,
        suppressed_since=entry.created_at,
        refused_purposes=list(entry.refused_purposes or []),
        operator=operator,
    )


def erase_and_announce(*, session: Session, kind: str, external_id: str, pepper: str, now: datetime) -> dict[str, Any]:
    """The erasure and its subject.erased webhook, uncommitted (this flow and a privacy request's deletion share
    it); a repeated erasure replays its receipt and announces nothing. Nor does the erasure of an identifier
    nothing was recorded under: receivers got nothing about it from here, and a mistyped id would be sent to
    every one of them."""
    receipt = erasure.erase(session=session, kind=kind, external_id=external_id, pepper=pepper, now=now)
    if receipt["known"] and not receipt["repeated"]:
        # Receivers erase their copy: this event names the identifier until it is delivered (retention forgets it then).
        webhooks.enqueue(
            session=session,
            type=WebhookEventType.SUBJECT_ERASED,
            data={"subject": {"kind": kind, "id": external_id}, "erased_at": webhooks.iso(now)},
            ordering_key=f"{kind}:{erasure.erased_id(pepper=pepper, kind=kind, external_id=external_id)}",
            now=now,
        )
    return receipt
