"""Verify every chain of the ledger, and sign or check a checkpoint of their heads."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents import chain
from consent_service.consents.models import ConsentEvent, RetiredChain
from consent_service.subjects.models import Subject
from consent_service.tokens.keystore import KeyStore

CHECKPOINT_TYPE = "ledger-checkpoint+jwt"
BATCH = 1000


@dataclass(frozen=True)
class Problem:
    kind: str  # broken_hash | broken_link | fork | gap | personal_fields | missing_head | checkpoint
    subject_id: int
    event_id: str | None
    detail: str

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id else "chain"
        return f"{self.kind}: subject #{self.subject_id} {where}: {self.detail}"


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, session: Session) -> Report:
    """Re-hash every link, in revision order per subject, and report what does not hold."""
    report = Report()
    subjects = {s.id: s for s in session.scalars(select(Subject).execution_options(populate_existing=True))}
    for subject_id, events in _chains(session):
        report.chains += 1
        report.events += len(events)
        problem = _check_chain(subjects.get(subject_id), subject_id, events)
        if problem is not None:
            report.problems.append(problem)
        report.heads[subject_id] = (events[-1].revision, events[-1].hash)
    for subject in subjects.values():
        if subject.revision and subject.id not in report.heads:
            report.problems.append(Problem("gap", subject.id, None, f"revision {subject.revision} but no events"))
    return report


def _chains(session: Session) -> Iterator[tuple[int, list[ConsentEvent]]]:
    """Each subject's events, in revision order; read in batches so memory stays flat."""
    current: list[ConsentEvent] = []
    last_key: tuple[int, int] | None = None
    while True:
        query = (
            select(ConsentEvent).order_by(ConsentEvent.subject_id, ConsentEvent.revision).limit(BATCH)
            .execution_options(populate_existing=True)  # what the database holds, not what this session saw
        )
        if last_key is not None:
            subject_id, revision = last_key
            query = query.where(
                (ConsentEvent.subject_id > subject_id)
                | ((ConsentEvent.subject_id == subject_id) & (ConsentEvent.revision > revision))
            )
        batch = list(session.scalars(query))
        if not batch:
            break
        for event in batch:
            if current and current[0].subject_id != event.subject_id:
                yield current[0].subject_id, current
                current = []
            current.append(event)
        last_key = (batch[-1].subject_id, batch[-1].revision)
        for event in batch:  # already read; dropping them from the session keeps memory flat
            session.expunge(event)
    if current:
        yield current[0].subject_id, current


def _check_chain(subject: Subject | None, subject_id: int, events: list[ConsentEvent]) -> Problem | None:
    """The first thing wrong with one chain: a gap, a fork, a broken link or hash, altered personal fields."""
    prev_hash = chain.GENESIS
    seen_links: set[str] = set()
    for expected_revision, event in enumerate(events, start=1):
        if event.revision != expected_revision:
            return Problem("gap", subject_id, event.id, f"revision {event.revision} follows {expected_revision - 1}")
        if event.prev_hash in seen_links:
            return Problem("fork", subject_id, event.id, "a second event follows the same predecessor")
        seen_links.add(event.prev_hash)
        if event.prev_hash != prev_hash:
            return Problem("broken_link", subject_id, event.id, f"revision {event.revision} does not follow its predecessor")
        if chain.link_hash(event.prev_hash, event) != event.hash:
            return Problem("broken_hash", subject_id, event.id, f"revision {event.revision} content does not match its hash")
        if subject is not None and subject.evidence_key is not None and event.personal_digest != chain.personal_digest(
            subject.evidence_key, actor_id=event.actor_id, evidence=event.evidence
        ):
            return Problem("personal_fields", subject_id, event.id, f"revision {event.revision} actor or evidence changed")
        prev_hash = event.hash
    if subject is not None and subject.revision != events[-1].revision:
        return Problem("gap", subject_id, events[-1].id,
                       f"the chain ends at revision {events[-1].revision}, the subject is at {subject.revision}")
    return None


def heads_digest(heads: dict[int, tuple[int, str]]) -> str:
    canonical = json.dumps(sorted([s, r, h] for s, (r, h) in heads.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def checkpoint(*, session: Session, keystore: KeyStore, issuer: str, now: datetime) -> str:
    """A signed digest of every chain head (JWS, typ ledger-checkpoint+jwt) to keep outside the database."""
    heads = verify(session=session).heads
    claims = {
        "iss": issuer,
        "iat": int(now.timestamp()),
        "chains": len(heads),
        "digest": heads_digest(heads),
        "heads": [[subject_id, revision, hash_] for subject_id, (revision, hash_) in sorted(heads.items())],
    }
    key = keystore.active(session=session, now=now)
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": CHECKPOINT_TYPE})


def compare_checkpoint(*, session: Session, keystore: KeyStore, token: str, now: datetime) -> list[Problem]:
    """Every head the checkpoint names must still be in its chain (chains only grow), or retired by retention."""
    try:
        header = jwt.get_unverified_header(token)
        public_key = keystore.public_key(session=session, kid=header.get("kid", ""), now=now)
        if header.get("typ") != CHECKPOINT_TYPE or public_key is None:
            return [Problem("checkpoint", 0, None, "not a checkpoint signed by a published key")]
        claims = jwt.decode(token, public_key, algorithms=["EdDSA"], options={"verify_iat": False})
    except jwt.InvalidTokenError as exc:
        return [Problem("checkpoint", 0, None, f"signature does not verify ({type(exc).__name__})")]
    heads = {s: (r, h) for s, r, h in claims["heads"]}
    if heads_digest(heads) != claims["digest"]:
        return [Problem("checkpoint", 0, None, "the digest does not match the heads it lists")]
    retired = {r.subject_id: r for r in session.scalars(select(RetiredChain))}
    problems = []
    for subject_id, (revision, hash_) in sorted(heads.items()):
        event = session.scalars(
            select(ConsentEvent).where(ConsentEvent.subject_id == subject_id, ConsentEvent.revision == revision)
        ).one_or_none()
        if event is not None and event.hash == hash_:
            continue
        gone = retired.get(subject_id)
        if event is None and gone is not None and gone.revision >= revision:
            continue
        problems.append(Problem("missing_head", subject_id, event.id if event else None,
                                f"the checkpoint's revision {revision} ({hash_[:12]}...) is not in the ledger"))
    return problems
