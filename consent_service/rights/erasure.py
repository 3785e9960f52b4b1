"""Erasure: remove the person, keep the proof.

The subject's identifier (and those of the visitors linked to it) is replaced by a keyed
pseudonym, the personal fields of its events are pseudonymized or dropped under the ledger's
maintenance mode, its evidence key is deleted, and a suppression entry, by pseudonym only, keeps
the identifier out of communications, and out of every purpose the person had refused (opt-outs of
sale/sharing, objections, withdrawals: purpose keys only), if it is seen again; a linked visitor
gets its own entry. The events stay, and their chains
still verify: they name the subject by its internal key. Everything happens in the caller's
transaction; flows.erase_subject adds the subject.erased webhook and commits.
"""

from __future__ import annotations

import hashlib
import hmac
import typing
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, String, cast, delete, select, update
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.consents.maintenance import ledger_open
from consent_service.consents.models import ConsentEvent, ConsentState, IdempotencyRecord
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject, SubjectLink, Suppression
from consent_service.tokens.models import IssuedToken
from consent_service.vocabulary import ActorType, Decision, SubjectKind
from consent_service.webhooks import service as webhooks

ERASED_PREFIX = "erased."
# Evidence that identifies nobody survives erasure as is; a caller's reference becomes a pseudonym.
KEPT_EVIDENCE = frozenset({"user_agent_family", "gpc", "tc_string", "notice"})
# Actors whose id is the person's own or a relative's; an agent's id is the company's staff record.
PERSONAL_ACTORS = frozenset({ActorType.SUBJECT.value, ActorType.GUARDIAN.value})


REPEATED = {"repeated": True}


def erased_id(*, pepper: str, kind: str, external_id: str) -> str:
    """The pseudonym that stands in for an erased identifier (itself, if already one)."""
    if external_id.startswith(ERASED_PREFIX):
        return external_id
    return ERASED_PREFIX + subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id)


def erase(*, session: Session, kind: str, external_id: str, pepper: str, now: datetime) -> dict[str, Any]:
    """Erase the subject and return the receipt; erasing an erased subject replays its receipt ("repeated").
    An identifier nothing was recorded under is suppressed too, and its receipt says `"known": false`."""
    pseudonym = subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id)
    subject = subjects.find_for_update(session=session, kind=kind, external_id=external_id)
    suppression = session.get(Suppression, (kind, pseudonym), with_for_update=True)
    if subject is None and suppression is not None:
        # A receipt written before `known` was says it by what it pseudonymized.
        return {"known": suppression.receipt["done"]["subjects_pseudonymized"] > 0} | suppression.receipt | REPEATED

    refused: set[str] = set(suppression.refused_purposes or ()) if suppression is not None else set()
    visitors: list[tuple[str, Suppression | None, set[str]]] = []  # pseudonym, its entry, what it refused
    done = {
        "subjects_pseudonymized": 0,
        "events_kept_as_proof": 0,
        "event_fields_pseudonymized": 0,
        "linked_visitors_erased": 0,
        "links_removed": 0,
        "token_records_deleted": 0,
        "idempotency_records_deleted": 0,
        "webhook_events_pseudonymized": 0,
    }
    if subject is not None:
        linked = subjects.links_of(session=session, subject=subject) if kind == SubjectKind.CUSTOMER else []
        done["links_removed"] = typing.cast(
            CursorResult[Any],
            session.execute(
                delete(SubjectLink).where(
                    (SubjectLink.customer_subject_id == subject.id) | (SubjectLink.visitor_subject_id == subject.id)
                )
            ),
        ).rowcount
        refused = _refused(session, subject, earlier=refused)
        for visitor in linked:
            visitor_pseudonym = subjects.pseudonym(pepper=pepper, kind=visitor.kind, external_id=visitor.external_id)
            entry = session.get(Suppression, (visitor.kind, visitor_pseudonym), with_for_update=True)
            earlier = set(entry.refused_purposes or ()) if entry is not None else set()
            visitors.append((visitor_pseudonym, entry, _refused(session, visitor, earlier=earlier)))
        with ledger_open(session):
            for each in [subject, *linked]:
                _erase_one(session, each, pepper, now, done)
        done["linked_visitors_erased"] = len(linked)
    receipt = {
        "id": new_id("era"),
        "subject": {"kind": kind, "pseudonym": pseudonym},
        "erased_at": webhooks.iso(now),
        "done": done,
        "suppressed": True,
        "suppression": {"communication": True, "refused_purposes": sorted(refused)},
        # Nothing was ever recorded under the identifier (a typo?): it is suppressed all the same, in case it comes.
        "known": subject is not None,
        "repeated": False,
    }
    _suppress(session, kind, pseudonym, suppression, refused, receipt, now)
    for visitor_pseudonym, entry, visitor_refused in visitors:
        _suppress(session, SubjectKind.VISITOR.value, visitor_pseudonym, entry, visitor_refused, receipt, now)
    session.flush()
    return receipt


def _refused(session: Session, subject: Subject, earlier: AbstractSet[str] = frozenset()) -> set[str]:
    """The purposes the subject's last decision refuses, with those an earlier erasure kept refused
    that it has not decided on since."""
    decisions = dict(
        session.execute(
            select(ConsentState.purpose, ConsentState.decision).where(ConsentState.subject_id == subject.id)
        ).all()
    )
    return {key for key in earlier if key not in decisions} | {
        key for key, decision in decisions.items() if decision != Decision.GRANTED
    }


def _suppress(
    session: Session,
    kind: str,
    pseudonym: str,
    entry: Suppression | None,
    refused: set[str],
    receipt: dict[str, Any],
    now: datetime,
) -> None:
    """Write the suppression entry of one pseudonym, or renew it when the identifier is erased again."""
    if entry is None:
        session.add(
            Suppression(
                kind=kind, pseudonym=pseudonym, created_at=now, receipt=receipt, refused_purposes=sorted(refused)
            )
        )
    else:  # the identifier came back after an earlier erasure and is erased again
        entry.created_at, entry.receipt, entry.refused_purposes = now, receipt, sorted(refused)


def _erase_one(session: Session, subject: Subject, pepper: str, now: datetime, done: dict[str, int]) -> None:
    original = subject.external_id
    replacement = erased_id(pepper=pepper, kind=subject.kind, external_id=original)
    # Unique per row: the same identifier may come back and be erased again as a new subject.
    subject.external_id = f"{replacement}.{subject.id}"
    subject.evidence_key = None
    subject.country = None
    subject.minor_until = None
    subject.born_by = None
    subject.erased_at = now
    subject.updated_at = now
    done["subjects_pseudonymized"] += 1
    for event in session.scalars(select(ConsentEvent).where(ConsentEvent.subject_id == subject.id)):
        done["events_kept_as_proof"] += 1
        actor_id = (
            _pseudonym(pepper, "actor", event.actor_id) if event.actor_type in PERSONAL_ACTORS else event.actor_id
        )
        evidence = _pseudonymous_evidence(pepper, event.evidence or {})
        if actor_id != event.actor_id or evidence != event.evidence:
            session.execute(
                update(ConsentEvent).where(ConsentEvent.id == event.id).values(actor_id=actor_id, evidence=evidence)
            )
            done["event_fields_pseudonymized"] += 1
    done["token_records_deleted"] += typing.cast(
        CursorResult[Any], session.execute(delete(IssuedToken).where(IssuedToken.subject_id == subject.id))
    ).rowcount
    done["idempotency_records_deleted"] += _forget_answers(session, subject.kind, original)
    done["webhook_events_pseudonymized"] += webhooks.pseudonymize_subject(
        session=session, kind=subject.kind, external_id=original, replacement=subject.external_id
    )
    session.flush()


def _pseudonym(pepper: str, namespace: str, value: str | None) -> str | None:
    if value is None or value.startswith(ERASED_PREFIX):
        return value
    return ERASED_PREFIX + hmac.new(pepper.encode(), f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()


def _pseudonymous_evidence(pepper: str, evidence: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in evidence.items() if key in KEPT_EVIDENCE}
    if "reference" in evidence:
        kept["reference"] = _pseudonym(pepper, "reference", str(evidence["reference"]))
    return kept


def _forget_answers(session: Session, kind: str, external_id: str) -> int:
    """Stored Idempotency-Key answers about the subject: they quote its identifier."""
    candidates = session.scalars(
        select(IdempotencyRecord).where(cast(IdempotencyRecord.response, String).contains(external_id, autoescape=True))
    )
    forgotten = 0
    for record in candidates:
        subject = (record.response or {}).get("subject") or {}
        if subject.get("kind") == kind and subject.get("id") == external_id:
            session.delete(record)
            forgotten += 1
    return forgotten
