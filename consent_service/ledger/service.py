"""Verify the ledger: every chain re-hashed, folded and compared with the states, every retirement's seal."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents import chain
from consent_service.consents.models import ConsentEvent, ConsentState, RetiredChain

# The write path's own fold: the states verify expects are exactly those a write would have stored.
from consent_service.consents.service import _fold as fold
from consent_service.ledger import seals
from consent_service.progress import Progress, unobserved
from consent_service.subjects.models import Subject

BATCH = 1000
# The state columns a fold decides, besides the event it comes from.
FOLDED_FIELDS = (
    "decision",
    "method",
    "notice_version",
    "regime",
    "property_key",
    "actor_type",
    "revision",
    "destinations",
    "notified_at",
)


@dataclass(frozen=True)
class Problem:
    # broken_hash | broken_link | fork | gap | personal_fields | state_differs | state_missing |
    # state_without_event | head_differs | forged_retirement | rewritten | truncated | missing_chain |
    # missing_retirement | checkpoint
    kind: str
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
    states: int = 0
    retired: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    *, session: Session, keys: Mapping[str, Ed25519PublicKey] | None = None, progress: Progress = unobserved
) -> Report:
    """Re-hash every link in revision order, compare each chain's head with the one its subject stores (what
    a write links to), fold every chain and compare it with the stored states,
    and check every retirement's seal against `keys` (the service's genuine keys: KeyStore.genuine_public_keys).
    `progress` hears how many subjects of how many are done, once per BATCH."""
    report = Report()
    subjects = {s.id: s for s in session.scalars(select(Subject).execution_options(populate_existing=True))}
    states = _grouped(session, ConsentState, ConsentState.purpose)
    chained = set()
    for done, (subject_id, events, stored) in enumerate(_joined(chains(session), states), start=1):
        if done % BATCH == 0:
            progress(done, len(subjects))
        report.states += len(stored)
        if events:
            chained.add(subject_id)
            report.chains += 1
            report.events += len(events)
            problem = _check_chain(subjects.get(subject_id), subject_id, events)
            if problem is not None:
                report.problems.append(problem)
        report.problems += _check_states(subject_id, events, stored)
    for subject in subjects.values():
        if subject.id in chained:
            continue
        if subject.revision:
            report.problems.append(Problem("gap", subject.id, None, f"revision {subject.revision} but no events"))
        elif subject.head_hash is not None:
            report.problems.append(Problem("head_differs", subject.id, None, "a stored head but no events"))
    for retired in session.scalars(select(RetiredChain).order_by(RetiredChain.subject_id)):
        report.retired += 1
        reason = seals.retirement_problem(retired, keys)
        if reason is not None:
            report.problems.append(Problem("forged_retirement", retired.subject_id, None, reason))
    progress(len(subjects), len(subjects))
    return report


def chains(session: Session) -> Iterator[tuple[int, list[ConsentEvent]]]:
    """Each subject's events, in revision order; read in batches so memory stays flat."""
    return _grouped(session, ConsentEvent, ConsentEvent.revision)


def _grouped(session: Session, model: Any, second: Any) -> Iterator[tuple[int, list[Any]]]:
    """Rows of a table keyed by (subject_id, `second`), grouped per subject, in batches (keyset paging)."""
    current: list[Any] = []
    last_key: tuple[int, Any] | None = None
    while True:
        query = (
            select(model)
            .order_by(model.subject_id, second)
            .limit(BATCH)
            .execution_options(populate_existing=True)  # what the database holds, not what this session saw
        )
        if last_key is not None:
            subject_id, value = last_key
            query = query.where((model.subject_id > subject_id) | ((model.subject_id == subject_id) & (second > value)))
        batch = list(session.scalars(query))
        if not batch:
            break
        for row in batch:
            if current and current[0].subject_id != row.subject_id:
                yield current[0].subject_id, current
                current = []
            current.append(row)
        last_key = (batch[-1].subject_id, getattr(batch[-1], second.key))
        for row in batch:  # already read; dropping them from the session keeps memory flat
            session.expunge(row)
    if current:
        yield current[0].subject_id, current


def _joined(
    events: Iterator[tuple[int, list[ConsentEvent]]], states: Iterator[tuple[int, list[ConsentState]]]
) -> Iterator[tuple[int, list[ConsentEvent], list[ConsentState]]]:
    """Merge two per-subject streams sorted by subject: (subject, its events, its stored states)."""
    chain_item, state_item = next(events, None), next(states, None)
    while chain_item is not None or state_item is not None:
        if chain_item is not None and (state_item is None or chain_item[0] < state_item[0]):
            yield chain_item[0], chain_item[1], []
            chain_item = next(events, None)
        elif state_item is not None and (chain_item is None or state_item[0] < chain_item[0]):
            yield state_item[0], [], state_item[1]
            state_item = next(states, None)
        else:
            assert chain_item is not None and state_item is not None  # neither stream is ahead: one subject
            yield chain_item[0], chain_item[1], state_item[1]
            chain_item, state_item = next(events, None), next(states, None)


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
            return Problem(
                "broken_link", subject_id, event.id, f"revision {event.revision} does not follow its predecessor"
            )
        if chain.link_hash(event.prev_hash, event) != event.hash:
            return Problem(
                "broken_hash", subject_id, event.id, f"revision {event.revision} content does not match its hash"
            )
        if (
            subject is not None
            and subject.evidence_key is not None
            and event.personal_digest
            != chain.personal_digest(subject.evidence_key, actor_id=event.actor_id, evidence=event.evidence)
        ):
            return Problem(
                "personal_fields", subject_id, event.id, f"revision {event.revision} actor or evidence changed"
            )
        prev_hash = event.hash
    if subject is not None and subject.revision != events[-1].revision:
        return Problem(
            "gap",
            subject_id,
            events[-1].id,
            f"the chain ends at revision {events[-1].revision}, the subject is at {subject.revision}",
        )
    if subject is not None and subject.head_hash != events[-1].hash:
        # The next write links to the stored head: a wrong one would fork the chain, or end it in a broken link.
        return Problem(
            "head_differs",
            subject_id,
            events[-1].id,
            f"the subject's stored head is not the hash of revision {events[-1].revision}, the chain's head",
        )
    return None


def _check_states(subject_id: int, events: list[ConsentEvent], stored: list[ConsentState]) -> list[Problem]:
    """The stored states (what checks answer from) against the fold of the chain, purpose by purpose."""
    folded: dict[str, tuple[Any, str]] = {}
    for event in events:
        previous = folded.get(event.purpose)
        folded[event.purpose] = (fold(previous[0] if previous else None, event), event.id)
    problems = []
    by_purpose = {state.purpose: state for state in stored}
    for purpose in sorted(folded.keys() | by_purpose.keys()):
        state = by_purpose.get(purpose)
        if purpose not in folded:
            stray = by_purpose[purpose]  # the purpose came from the stored states alone
            problems.append(
                Problem(
                    "state_without_event",
                    subject_id,
                    stray.event_id,
                    f"{purpose}: a '{stray.decision}' state that no event of the chain records",
                )
            )
            continue
        expected, event_id = folded[purpose]
        if state is None:
            problems.append(
                Problem(
                    "state_missing",
                    subject_id,
                    event_id,
                    f"{purpose}: decided at revision {expected.revision}, but no state answers checks",
                )
            )
            continue
        differing = [name for name in FOLDED_FIELDS if getattr(state, name) != getattr(expected, name)]
        if chain.timestamp(state.updated_at) != chain.timestamp(expected.updated_at):
            differing.append("updated_at")
        if state.event_id != event_id:
            differing.append("event_id")
        if differing:
            problems.append(
                Problem(
                    "state_differs",
                    subject_id,
                    event_id,
                    f"{purpose}: the state's {', '.join(differing)} differ from the fold of the chain "
                    f"(stored decision '{state.decision}', the ledger says '{expected.decision}')",
                )
            )
    return problems
