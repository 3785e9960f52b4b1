"""Retention: remove whole subject chains whose keeping period is over, exactly once across instances.

A chain goes as a whole (events, state, links, token records, the subject), so every chain that
stays still verifies, and its head is kept in retired_chains so older checkpoints still check out,
sealed with the service's signing key so that `flask ledger verify` tells it from a row written by hand.
- A visitor's consents expire after RETENTION_VISITOR_INACTIVITY_DAYS without a new decision; the
  banner then asks again.
- Any other subject is kept while it relies on a consent (a current grant). Each ended decision is
  proof kept RETENTION_PROOF_AFTER_WITHDRAWAL_DAYS, or RETENTION_RECORDING_EVIDENCE_DAYS for the
  recording purpose; when the last of those has run out, the chain goes.
- An erased subject's pseudonymous proof is kept the proof period from its erasure.
- A restricted subject is never removed: restriction is often asked for to keep the data.
- subject.erased webhook events, and the privacy_request.verified events of deletion requests, forget the
  erased identifier once nothing is left to deliver.
- Webhook events whose every delivery is finished go RETENTION_WEBHOOK_OUTBOX_DAYS after they were made,
  whole months at a time on PostgreSQL (webhooks/outbox.py).

On a partitioned ledger (PostgreSQL, ledger/partitions.py) a month whose every event belongs to a chain
that goes now is detached and dropped whole, with its chains' other rows, instead of deleted row by row;
each chain still leaves its sealed head. A month holding one event of a chain that stays (a current
grant, a restricted or recently active subject) is kept, and its expired chains go row by row as before.

Several instances may run it at once: each batch locks its subjects with FOR UPDATE SKIP LOCKED on
PostgreSQL (another run takes the next ones) and re-checks them under the lock; on SQLite the
maintenance marker takes the database's write lock before the batch reads anything.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import BigInteger

from consent_service.consents import service as consents
from consent_service.consents.maintenance import ledger_open
from consent_service.consents.models import ConsentEvent, ConsentState, RetiredChain
from consent_service.database import dialect_insert
from consent_service.ledger import partitions, seals
from consent_service.progress import Progress, unobserved
from consent_service.purposes import service as purposes
from consent_service.purposes.models import Purpose
from consent_service.reports import service as reports
from consent_service.signing_keys.keystore import KeyStore
from consent_service.subjects.models import Subject, SubjectLink
from consent_service.tokens.models import IssuedToken
from consent_service.vocabulary import Decision, SubjectKind
from consent_service.webhooks import outbox
from consent_service.webhooks import service as webhooks

RECORDING_PURPOSE = "recording"
BATCH_SIZE = 100


@dataclass(frozen=True)
class Periods:
    visitor_inactivity: timedelta
    recording_evidence: timedelta
    proof_after_withdrawal: timedelta
    # Finished webhook events kept this long; None keeps them (callers that judge chains only).
    webhook_outbox: timedelta | None = None


@dataclass(frozen=True)
class Removal:
    subject_id: int
    kind: str
    events: int
    reason: str


@dataclass
class Outcome:
    dry_run: bool
    removed: list[Removal] = field(default_factory=list)
    erasure_notices_forgotten: int = 0
    # The ledger's monthly partitions dropped whole (would be, on a dry run), and those made ahead.
    partitions_dropped: list[str] = field(default_factory=list)
    partitions_created: list[str] = field(default_factory=list)
    # The webhook outbox's: months made ahead, months dropped whole, finished events deleted by rows.
    outbox_partitions_created: list[str] = field(default_factory=list)
    outbox_months_dropped: list[str] = field(default_factory=list)
    outbox_events_deleted: int = 0


def run(
    *,
    session: Session,
    periods: Periods,
    pseudonymize: Callable[[str, str], str],
    keystore: KeyStore,
    now: datetime,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress = unobserved,
) -> Outcome:
    """One pass over every subject, a committed transaction per batch (none when dry_run); `progress` hears
    how many of the subjects untouched for the shortest period have been looked at, once per batch."""
    outcome = Outcome(dry_run=dry_run)
    catalogue = purposes.catalogue(session=session)
    oldest_relevant = now - min(periods.visitor_inactivity, periods.recording_evidence, periods.proof_after_withdrawal)
    if not dry_run:
        session.commit()
        outcome.partitions_created = partitions.ensure_months(session=session, now=now)
        outcome.outbox_partitions_created = outbox.ensure_months(session=session, now=now)
        session.commit()
    for partition in partitions.months(session):
        if partition.end > oldest_relevant:
            break  # a subject with an event this recent is not a candidate: nothing later can go whole
        with session.begin_nested() if dry_run else _batch(session):
            _drop_partition(session, partition, catalogue, periods, keystore, now, outcome)
    # A dry run went through the dropped months' chains already: they are not counted twice.
    counted = {removal.subject_id for removal in outcome.removed}
    total = _candidate_count(session, oldest_relevant)
    after_id, looked_at = 0, 0
    while True:
        with session.begin_nested() if dry_run else _batch(session):
            candidates = _candidates(session, oldest_relevant, after_id, batch_size, lock=not dry_run)
            if not candidates:
                break
            after_id = candidates[-1].id
            looked_at += len(candidates)
            progress(looked_at, max(total, looked_at))
            due = [
                (subject, reason)
                for subject in candidates
                if subject.id not in counted and (reason := _due(session, subject, catalogue, periods, now)) is not None
            ]
            if due and not dry_run:
                # The report rollup loses these chains' counts: one statement per batch (rows locked in one order).
                reports.discount_removed(session=session, subject_ids=[subject.id for subject, _ in due])
            for subject, reason in due:
                events = _remove_chain(session, subject, reason, keystore, now, dry_run=dry_run)
                outcome.removed.append(Removal(subject.id, subject.kind, events, reason))
    with session.begin_nested() if dry_run else _batch(session):
        outcome.erasure_notices_forgotten = webhooks.forget_erased_subjects(
            session=session, pseudonymize=pseudonymize, dry_run=dry_run
        )
    if periods.webhook_outbox is not None:
        forgotten = outbox.forget_finished(session=session, before=now - periods.webhook_outbox, dry_run=dry_run)
        outcome.outbox_months_dropped = forgotten.months_dropped
        outcome.outbox_events_deleted = forgotten.events_deleted
    if dry_run:
        session.rollback()
    return outcome


class _batch:
    """A batch's transaction with the ledger open to deletion: committed, or rolled back on error."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> None:
        self.session.commit()  # whatever came before is not part of this batch
        self._maintenance = ledger_open(self.session)
        self._maintenance.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.session.rollback()
            return
        self._maintenance.__exit__(None, None, None)
        self.session.commit()


def _candidate_count(session: Session, oldest_relevant: datetime) -> int:
    """How many subjects _candidates will go through (for progress only: others may change meanwhile)."""
    return session.execute(
        select(func.count()).select_from(Subject).where(*_candidate_filter(oldest_relevant))
    ).scalar_one()


def _candidate_filter(oldest_relevant: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return Subject.updated_at < oldest_relevant, Subject.restricted.is_(False)


def _candidates(session: Session, oldest_relevant: datetime, after_id: int, limit: int, *, lock: bool) -> list[Subject]:
    """Subjects untouched since the shortest period began, in id order; locked ones are another run's."""
    query = (
        select(Subject)
        .where(Subject.id > after_id, *_candidate_filter(oldest_relevant))
        .order_by(Subject.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True).execution_options(populate_existing=True)
    return list(session.scalars(query))


def _due(
    session: Session,
    subject: Subject,
    catalogue: dict[str, Purpose],
    periods: Periods,
    now: datetime,
    *,
    states: dict[str, ConsentState] | None = None,
) -> str | None:
    """Why the chain may go now, or None while it must be kept; `states` are the subject's when read already."""
    if subject.restricted:
        return None
    if subject.erased_at is not None:
        # Erasure ends every consent at once: what remains is proof, kept the proof period from then.
        return "proof period over" if now >= subject.erased_at + periods.proof_after_withdrawal else None
    if subject.kind == SubjectKind.VISITOR:
        return "visitor inactive" if subject.updated_at <= now - periods.visitor_inactivity else None
    if states is None:
        states = consents.states_of(session=session, subject_id=subject.id)
    if not states:
        return "proof period over" if now >= subject.updated_at + periods.proof_after_withdrawal else None
    for key, state in states.items():
        purpose = catalogue.get(key)
        if state.decision == Decision.GRANTED and purpose is not None and purpose.refusable:
            return None  # a consent still relied on: its proof stays
    keep_until = max(
        state.updated_at + (periods.recording_evidence if key == RECORDING_PURPOSE else periods.proof_after_withdrawal)
        for key, state in states.items()
    )
    return "proof period over" if now >= keep_until else None


def _drop_partition(
    session: Session,
    partition: partitions.Partition,
    catalogue: dict[str, Purpose],
    periods: Periods,
    keystore: KeyStore,
    now: datetime,
    outcome: Outcome,
) -> None:
    """Drop the month and the whole chains of its subjects when every one of them goes now; else leave it
    all to the row-by-row pass. Its subjects are locked first; one locked by another run keeps the month.
    A month costs a few statements however many chains it holds: a few index probes per chain to find them
    and their heads, then one statement each for their subjects, states, retirements and other rows."""
    if not partitions.claim_drops(session, partition):
        return  # another run dropped it
    month = _month_chains(session, partition)
    subject_ids = list(month)
    subjects = list(
        session.scalars(
            select(Subject)
            .where(Subject.id == any_(_ids(subject_ids)))
            .order_by(Subject.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if len(subjects) != len(subject_ids):
        return
    oldest_relevant = now - min(periods.visitor_inactivity, periods.recording_evidence, periods.proof_after_withdrawal)
    # The row-by-row pass's candidates only (_candidate_filter), judged by the same rule (_due); the states
    # _due reads are read for all of them at once.
    candidates = [subject for subject in subjects if subject.updated_at < oldest_relevant]
    if len(candidates) != len(subjects):
        return
    states = _states_of(session, [subject.id for subject in subjects if _due_reads_states(subject)])
    due = []
    for subject in subjects:
        reason = _due(session, subject, catalogue, periods, now, states=states.get(subject.id, {}))
        if reason is None:
            return
        due.append((subject, reason))
    # A chain whose every event is in this month has its head here, and no row anywhere else. Any other
    # (one that began before the month or went on after it) has its head found in the ledger, and its
    # other months' rows deleted below.
    heads = {subject.id: month[subject.id].head for subject in subjects if month[subject.id].whole(subject)}
    spanning = [subject_id for subject_id in subject_ids if subject_id not in heads]
    heads.update(_heads(session, spanning))
    dry_run = outcome.dry_run
    chains = [(subject.id, heads.get(subject.id), reason) for subject, reason in due]
    for (subject, reason), events in zip(
        due, _retire_all(session, chains, keystore, now, dry_run=dry_run), strict=True
    ):
        outcome.removed.append(Removal(subject.id, subject.kind, events, reason))
    outcome.partitions_dropped.append(partition.name)
    if dry_run:
        return
    _delete_subject_rows(session, subject_ids, events=False)
    # The chains' events of other months go by rows, and leave the rollup by what those rows counted; the
    # month's own events leave it as whole days (forget_days below). The month itself goes last, so the
    # exclusive lock DETACH takes on the ledger is held only until the commit that follows.
    counts: Counter[reports.RollupKey] = Counter()
    if spanning:
        ledger = ConsentEvent.__table__
        elsewhere = (ledger.c.recorded_at < partition.start) | (ledger.c.recorded_at >= partition.end)
        deleted = session.execute(
            delete(ledger)
            .where(ledger.c.subject_id == any_(_ids(spanning)), elsewhere)
            .returning(*(ledger.c[name] for name in reports.COUNTED_COLUMNS))
        ).all()
        counts = reports.counts_of(events=deleted)
    partitions.drop(session, partition)
    # After the drop: a writer holding the ledger's lock may be waiting for a rollup row (it adds its counts).
    reports.discount(session=session, counts=counts)
    reports.forget_days(session=session, start=partition.start, end=partition.end)
    # A subject whose chain still had a row in another month (which only a rewritten ledger allows: its
    # stored head says the chain ended here) is refused by the ledger's foreign key, and the month stays.
    session.execute(delete(Subject).where(Subject.id == any_(_ids(subject_ids))))


@dataclass(frozen=True)
class _MonthChain:
    """A chain's events in one month: its first and last revisions there, and the last one's hash."""

    first: int
    last: int
    last_hash: str

    @property
    def head(self) -> tuple[int, str]:
        return self.last, self.last_hash

    def whole(self, subject: Subject) -> bool:
        """Whether the month holds the whole chain: it begins here and ends here at the subject's stored head
        (a chain's events are recorded in revision order, and the month is one span of time)."""
        return self.first == 1 and self.last == subject.revision and self.last_hash == subject.head_hash


# The month's subjects one index probe each (a loose index scan), not a pass over its rows: a month of 10 M
# events holds some hundreds of thousands of them, and thousands of chains.
_MONTH_CHAINS = """
WITH RECURSIVE ids (subject_id) AS (
    (SELECT subject_id FROM {month} ORDER BY subject_id LIMIT 1)
  UNION ALL
    SELECT (SELECT e.subject_id FROM {month} AS e WHERE e.subject_id > ids.subject_id ORDER BY e.subject_id LIMIT 1)
      FROM ids WHERE ids.subject_id IS NOT NULL
)
SELECT ids.subject_id, first.revision, last.revision, last.hash
  FROM ids,
       LATERAL (SELECT e.revision FROM {month} AS e WHERE e.subject_id = ids.subject_id
                 ORDER BY e.revision LIMIT 1) AS first,
       LATERAL (SELECT e.revision, e.hash FROM {month} AS e WHERE e.subject_id = ids.subject_id
                 ORDER BY e.revision DESC LIMIT 1) AS last
 WHERE ids.subject_id IS NOT NULL
 ORDER BY ids.subject_id
"""


def _month_chains(session: Session, partition: partitions.Partition) -> dict[int, _MonthChain]:
    """The chains with an event in the partition, by subject id in id order."""
    rows = session.execute(text(_MONTH_CHAINS.format(month=partition.name)))
    return {subject_id: _MonthChain(first, last, hash_) for subject_id, first, last, hash_ in rows}


def _ids(subject_ids: list[int]) -> BindParameter[Any]:
    """Subject ids as one array parameter (PostgreSQL): one statement for thousands of them, planned once."""
    return bindparam("ids", subject_ids, type_=ARRAY(BigInteger))


def _due_reads_states(subject: Subject) -> bool:
    return not subject.restricted and subject.erased_at is None and subject.kind != SubjectKind.VISITOR


def _states_of(session: Session, subject_ids: list[int]) -> dict[int, dict[str, ConsentState]]:
    """consents.states_of for many subjects, in one statement."""
    found: dict[int, dict[str, ConsentState]] = defaultdict(dict)
    if subject_ids:
        for state in session.scalars(select(ConsentState).where(ConsentState.subject_id == any_(_ids(subject_ids)))):
            found[state.subject_id][state.purpose] = state
    return found


def _heads(session: Session, subject_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The head (revision, hash) of each of these subjects' chains that has one: an index probe per
    subject (and partition), not a pass over their events."""
    if not subject_ids:
        return {}
    latest = select(ConsentEvent.revision, ConsentEvent.hash).where(ConsentEvent.subject_id == Subject.id)
    latest = latest.order_by(ConsentEvent.revision.desc()).limit(1)
    rows = session.execute(
        select(
            Subject.id,
            latest.with_only_columns(ConsentEvent.revision).scalar_subquery(),
            latest.with_only_columns(ConsentEvent.hash).scalar_subquery(),
        ).where(Subject.id.in_(subject_ids))
    )
    return {subject_id: (revision, hash_) for subject_id, revision, hash_ in rows if revision is not None}


def _retire(
    session: Session,
    subject_id: int,
    head: tuple[int, str] | None,
    reason: str,
    keystore: KeyStore,
    now: datetime,
    *,
    dry_run: bool,
) -> int:
    """Keep the sealed head of a chain about to go (in retired_chains); how many events it had."""
    return _retire_all(session, [(subject_id, head, reason)], keystore, now, dry_run=dry_run)[0]


def _retire_all(
    session: Session,
    chains: list[tuple[int, tuple[int, str] | None, str]],
    keystore: KeyStore,
    now: datetime,
    *,
    dry_run: bool,
) -> list[int]:
    """`_retire` for many chains (subject id, head, reason), their rows written by one statement."""
    rows = []
    for subject_id, head, reason in chains:
        if head is None or dry_run:
            continue
        revision, hash_ = head
        seal = seals.seal_retirement(
            session=session,
            keystore=keystore,
            subject_id=subject_id,
            revision=revision,
            hash_=hash_,
            reason=reason,
            now=now,
        )
        rows.append({"subject_id": subject_id, "revision": revision, "hash": hash_, "retired_at": now, "seal": seal})
    if rows:
        # A subject id retired before (ids of a restored backup) keeps only its latest retirement, as merge did.
        table = RetiredChain.__table__
        insert = dialect_insert(session.get_bind().dialect.name)(table)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.subject_id],
                set_={name: insert.excluded[name] for name in ("revision", "hash", "retired_at", "seal")},
            ),
            rows,
        )
    return [head[0] if head is not None else 0 for _, head, _ in chains]


def _delete_subject_rows(session: Session, subject_ids: list[int], *, events: bool) -> None:
    """What hangs off these subjects: states, links, token records and (with `events`) their events."""
    session.execute(delete(ConsentState).where(ConsentState.subject_id.in_(subject_ids)))
    session.execute(
        delete(SubjectLink).where(
            SubjectLink.visitor_subject_id.in_(subject_ids) | SubjectLink.customer_subject_id.in_(subject_ids)
        )
    )
    session.execute(delete(IssuedToken).where(IssuedToken.subject_id.in_(subject_ids)))
    if events:
        session.execute(delete(ConsentEvent).where(ConsentEvent.subject_id.in_(subject_ids)))


def _remove_chain(
    session: Session, subject: Subject, reason: str, keystore: KeyStore, now: datetime, *, dry_run: bool
) -> int:
    """Delete the subject and everything hanging off it, keeping its sealed head; how many events that was."""
    count = _retire(
        session, subject.id, _heads(session, [subject.id]).get(subject.id), reason, keystore, now, dry_run=dry_run
    )
    if dry_run:
        return count
    _delete_subject_rows(session, [subject.id], events=True)
    session.delete(subject)
    session.flush()
    return count
