"""Record a consent decision: the ledger's write (consents) with what other domains keep of it, all or nothing.

The events come with the consent-rate rollup's counts (reports) and the rows a caller adds (the
banner's token), which the consent store writes with them in one statement or transaction, and,
when a webhook endpoint is enabled, the consent.changed outbox row (webhooks), in the same
transaction. A write that may commit by itself (`outside_transaction`) is optimistic where the store
can be: one statement, no transaction.

A withdrawal needs no notice version (withdrawing is as easy as consenting, GDPR 7(3)): when a request
of withdrawals names none, the one in force is recorded (`notice_in_force`) and the events' evidence
says where it came from (`notice`: NoticeSource).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.consents.store import CompanionRows, Guards, NeedsTransaction, store_for
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.notices import service as notices
from consent_service.regimes.service import RegimeRules
from consent_service.reports import service as reports
from consent_service.reports.models import ConsentRollup
from consent_service.vocabulary import Decision
from consent_service.webhooks import service as webhooks

T = TypeVar("T")
ROLLUPS = ConsentRollup.__table__
NOTICE_EVIDENCE = "notice"


class NoticeSource(StrEnum):
    """Where the notice version of a withdrawal sent without one came from (its events' evidence `notice`)."""

    IN_FORCE = "in_force"  # a published notice naming the purposes, or the property's banner notice
    LAST_DECISION = "last_decision"  # none published: the one the subject last decided these purposes under
    NONE = "none"  # neither: there is no notice to name, and the version is recorded empty


def store_guards() -> Guards:
    """What a consent store reads with a subject for this flow: the generation, and whether the
    webhooks' outbox row follows the write (any endpoint enabled)."""
    generation = generations.generation_value()
    return Guards(generation=generation, follow_up=webhooks.any_enabled_endpoint())


def record_consent(
    *,
    session: Session,
    kind: str,
    external_id: str,
    events: Sequence[consents.EventInput],
    context: consents.EventContext,
    rules: RegimeRules,
    now: datetime,
    snapshot: Snapshot | None = None,
    new_subject: bool = False,
    optimistic: bool = False,
    written_with: Callable[[consents.SubjectState], Sequence[CompanionRows]] | None = None,
) -> consents.SubjectState:
    """consents.record_events, with the rollup's counts, the rows `written_with` returns for the new
    state, and the outbox row when it is due. `optimistic`: called by `outside_transaction`'s work.
    A context without a notice version (withdrawals only) gets the one in force (notice_in_force)."""
    if context.notice_version is None:
        context = notice_in_force(
            session=session, kind=kind, external_id=external_id, events=events, context=context, rules=rules, now=now
        )

    def companions(recorded: consents.Recorded) -> list[CompanionRows]:
        counts = reports.recorded_rows(recorded.events)
        rows = [CompanionRows(ROLLUPS, counts, add_on_conflict=("count",))]
        if written_with is not None:
            rows.extend(written_with(recorded.state))
        return rows

    recorded = consents.record_events(
        session=session,
        kind=kind,
        external_id=external_id,
        events=events,
        context=context,
        rules=rules,
        now=now,
        snapshot=snapshot,
        new_subject=new_subject,
        optimistic=optimistic,
        companions=companions,
    )
    if recorded.follow_up:
        # In this transaction: the webhook exists if and only if these events commit.
        webhooks.enqueue_consent_changed(
            session=session,
            kind=kind,
            external_id=recorded.state.id,
            revision=recorded.state.revision,
            events=recorded.events,
            now=now,
        )
    return recorded.state


def notice_in_force(
    *,
    session: Session,
    kind: str,
    external_id: str,
    events: Sequence[consents.EventInput],
    context: consents.EventContext,
    rules: RegimeRules,
    now: datetime,
) -> consents.EventContext:
    """The context of withdrawals sent without a notice version, with the one in force and, in the evidence, where
    it came from: the notice published for the purposes (or the property's banner notice), else the one the subject
    last decided these purposes under, else none (recorded as ""): a withdrawal is never refused for want of one."""
    if any(event.decision is not Decision.WITHDRAWN for event in events):
        raise TypeError("Only withdrawals may be recorded without a notice version (the request schema says so).")
    purposes = {event.purpose for event in events}
    version = notices.in_force(session=session, purposes=purposes, property_key=context.property_key)
    source = NoticeSource.IN_FORCE
    if version is None:
        state = consents.read_state(session=session, kind=kind, external_id=external_id, rules=rules, now=now)
        decided = [
            (answer.updated_at, answer.notice_version)
            for purpose, answer in state.consents.items()
            if purpose in purposes and answer.source == "event" and answer.updated_at and answer.notice_version
        ]
        version, source = (max(decided)[1], NoticeSource.LAST_DECISION) if decided else ("", NoticeSource.NONE)
    return dataclasses.replace(
        context, notice_version=version, evidence=context.evidence | {NOTICE_EVIDENCE: source.value}
    )


def outside_transaction(session: Session, work: Callable[[bool], T]) -> T:
    """Run `work(True)` on a connection where each statement commits by itself, for a request whose one
    write is a consent store's optimistic record: BEGIN and COMMIT, two round trips, are spared. A
    record that finds it has more to write raises NeedsTransaction before writing anything, and
    `work(False)` runs instead, in a transaction the caller commits. Where the store has no optimistic
    mode, or a transaction is already open, `work(False)` just runs."""
    if session.in_transaction() or not store_for(session).optimistic:
        return work(False)
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        return work(True)
    except NeedsTransaction:
        session.rollback()  # nothing was written; the next connection comes in its usual mode
    return work(False)
