"""The consent ledger: record decisions, read the current state, answer checks, page the history."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from consent_service.clock import new_time_ordered_id
from consent_service.consents import chain
from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.consents.state import (
    ALL_DESTINATIONS,
    AUTOMATED_DECISIONS_PURPOSE,
    RECORDING_PURPOSE,
    Circumstances,
    PurposeState,
    effective,
)
from consent_service.consents.store import CompanionRows, Found, StateRow, SubjectFacts, SubjectHead, Write, store_for
from consent_service.errors import Conflict, ValidationFailed
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.notices.models import Notice
from consent_service.notices.service import MaterialChange
from consent_service.purposes import service as purposes
from consent_service.purposes.service import CataloguePurpose
from consent_service.recipients import service as recipients
from consent_service.recipients.service import RecipientEntry
from consent_service.regimes.service import TRANSFER_PURPOSE, MinorLimit, RegimePolicy, RegimeRules
from consent_service.regimes.subdivisions import place
from consent_service.subjects import ages
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
from consent_service.vocabulary import BANNER_METHODS, ActorType, Decision, Method, Necessity, Regime, SubjectKind

MAX_HISTORY_PAGE = 200
# Where record_events leaves (purpose, decision) of what it wrote, in session.info, until the
# transaction ends: counted once it commits (metrics.py), forgotten if it rolls back.
WRITTEN_EVENTS = "consents.written_events"


class NotRefusable(ValidationFailed):
    code = "not_refusable"


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"


class MethodNotValid(ValidationFailed):
    code = "method_not_valid"


class SubjectErased(Conflict):
    code = "subject_erased"
    message = "This subject was erased; its ledger is closed."


class NotificationRequired(ValidationFailed):
    """An implied grant of recording ("by staying on the call") without the notification it followed."""

    code = "notification_required"


class DestinationNotNamed(ValidationFailed):
    """A transfer consent to every destination ("*") where consent names its destinations (rules:
    the regime's cross_border_transfer.all_destinations)."""

    code = "destination_not_named"


class MinorConsent(ValidationFailed):
    """A minor below the age of digital consent cannot consent alone."""

    code = "minor"


@dataclass(frozen=True)
class EventInput:
    purpose: str
    decision: Decision
    method: Method


@dataclass(frozen=True)
class EventContext:
    """What one request says about all of its events."""

    # None only for a request of withdrawals that named no notice: flows.record_consent records the one in force.
    notice_version: str | None
    country: str | None = None
    # The ISO 3166-2 subdivision (US-CA), when known: its rules, where the rules file has some, decide.
    region: str | None = None
    # The regime the subject was shown (a banner's); otherwise it follows from the country.
    regime: Regime | None = None
    destination_country: str | None = None
    age: int | None = None
    property_key: str | None = None
    language: str | None = None
    banner_version: str | None = None
    actor_type: ActorType = ActorType.SUBJECT
    actor_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # A Global Privacy Control signal came with the request.
    gpc: bool = False
    # Written by one of the service's own flows (a double opt-in confirmation, a carried-over
    # choice): only then may the methods the rules keep to those flows be used.
    from_flow: bool = False
    # When the person was given the notice `notice_version` (a caller, the recording announcement):
    # an implied grant of recording counts only with it.
    notified_at: datetime | None = None


@dataclass(frozen=True)
class SubjectState:
    kind: str
    id: str
    revision: int
    regime: str
    consents: dict[str, PurposeState]
    # The subject's internal key, when it exists: what other domains record the subject by.
    subject_key: int | None = None
    # The subdivision or country whose rules gave the answers (None: the default regime's).
    jurisdiction: str | None = None

    def allows(self, purpose: str) -> bool:
        """The effective decision for `purpose`; a purpose the state does not hold is not allowed."""
        state = self.consents.get(purpose)
        return state is not None and state.allowed

    @property
    def notice_version(self) -> str | None:
        """The notice version of the most recent decision, if any."""
        latest = max(
            # An answer from an event has the time of that event.
            ((s.updated_at, s) for s in self.consents.values() if s.source == "event" and s.updated_at is not None),
            key=lambda dated: dated[0],
            default=None,
        )
        return latest[1].notice_version if latest else None


@dataclass(frozen=True)
class CheckResult:
    allowed: bool
    decisions: dict[str, PurposeState]
    # The subdivision or country whose rules gave the answers (None: the default regime's).
    jurisdiction: str | None = None


def record_events(
    *,
    session: Session,
    kind: str,
    external_id: str,
    events: Sequence[EventInput],
    context: EventContext,
    rules: RegimeRules,
    now: datetime,
    snapshot: Snapshot | None = None,
    new_subject: bool = False,
    optimistic: bool = False,
    companions: Callable[[Recorded], Sequence[CompanionRows]] | None = None,
) -> Recorded:
    """Append the events to the subject's ledger and fold them into its state, all or nothing.

    Refused before anything is written: unknown purposes, refusals of what cannot be refused, and
    decisions that are not valid consent for this subject (`_require_valid_consent`), a closed ledger
    (SubjectErased), a stale `snapshot` (StaleSnapshot). The subject's store (consents/store.py) reads
    the subject, this module folds the events onto it, and the store writes the result with the rows
    `companions` returns for it (other domains' rows, given by the flow that records). `new_subject`
    says the identifier was just made up; `optimistic`, that the store may write outside a transaction
    (NeedsTransaction if it cannot: the caller does it again in one)."""
    if not events:
        raise ValidationFailed("Nothing to record.", errors={"events": ["At least one decision."]})
    if context.notice_version is None:
        raise TypeError("Events are recorded under a notice version: flows.record_consent names the one in force.")
    if context.region is not None:  # a region alone says its country; one in another country is refused
        context = dataclasses.replace(context, country=place(context.country, context.region))
    snapshot = snapshot or generations.fresh(session=session)
    catalogue = snapshot.catalogue
    _require_known(session, snapshot, {f"events.{i}.purpose": e.purpose for i, e in enumerate(events)})
    refused = {
        f"events.{i}.decision": [f"{e.purpose!r} cannot be refused."]
        for i, e in enumerate(events)
        if not catalogue[e.purpose].refusable and e.decision is not Decision.GRANTED
    }
    if refused:
        raise NotRefusable("Some purposes cannot be refused.", errors=refused)

    def fold(subject: SubjectHead) -> Write[Recorded]:
        if subject.erased:
            raise SubjectErased()
        recorded = _fold_events(subject, events, context, rules, now, catalogue)
        return Write(
            events=recorded.events,
            states=recorded.states,
            subject_values=recorded.subject_values,
            companions=companions(recorded) if companions else (),
            result=recorded,
        )

    session.flush()  # the store writes past the ORM: changes the caller made before must be written first.
    written = store_for(session).record(
        session=session,
        kind=kind,
        external_id=external_id,
        new_row=subjects.new_row(kind=kind, external_id=external_id, now=now),
        new_subject=new_subject,
        optimistic=optimistic,
        snapshot=snapshot,
        fold=fold,
    )
    recorded = dataclasses.replace(written.write.result, follow_up=written.follow_up)
    session.info.setdefault(WRITTEN_EVENTS, []).extend((event.purpose, event.decision) for event in recorded.events)
    subject_key = recorded.state.subject_key
    assert subject_key is not None  # a recorded subject is stored
    _expire_loaded(session, subject_key, [state["purpose"] for state in recorded.states])
    return recorded


@dataclass(frozen=True)
class Recorded:
    """What one call recorded: the sealed events, the states they changed, the subject's new values,
    and the subject's new state."""

    events: list[chain.EventValues]
    states: list[dict[str, Any]]
    subject_values: dict[str, Any]
    state: SubjectState
    # Guards.follow_up as the store read it (consents/store.py): the caller's follow-up rows are due.
    follow_up: bool = False


def _fold_events(
    subject: SubjectHead,
    events: Sequence[EventInput],
    context: EventContext,
    rules: RegimeRules,
    now: datetime,
    catalogue: dict[str, CataloguePurpose],
) -> Recorded:
    """Seal the events onto the subject's chain and fold them into its states; refuse them first if
    they are not valid consent for this subject."""
    country = context.country or subject.country
    jurisdiction = rules.jurisdiction(country, context.region)
    policy = _shown_policy(rules, jurisdiction, context.regime)
    regime = context.regime or policy.regime
    events = [*events, *_gpc_denials(events, context, policy)]
    _require_valid_consent(events, context, rules, policy, country, catalogue, now)
    evidence_key = subject.evidence_key
    if evidence_key is None:  # only an erased subject has none, and `fold` refused it already
        raise SubjectErased()
    prev_hash = subject.head_hash or chain.GENESIS
    revision = subject.revision or 0
    states = dict(subject.states)
    recorded: list[chain.EventValues] = []
    event_ids: dict[str, str] = {}
    # Every event of the call has the context's actor and evidence: one digest for all of them.
    digest = chain.personal_digest(evidence_key, actor_id=context.actor_id, evidence=context.evidence)
    for event_input in events:
        revision += 1
        event = chain.EventValues(
            id=new_time_ordered_id("evt", now),
            subject_id=subject.id,
            revision=revision,
            purpose=event_input.purpose,
            decision=event_input.decision.value,
            method=event_input.method.value,
            notice_version=context.notice_version,
            regime=regime.value,
            country=context.country,
            region=context.region,
            destination_country=context.destination_country if event_input.purpose == TRANSFER_PURPOSE else None,
            age=context.age,
            property_key=context.property_key,
            language=context.language,
            banner_version=context.banner_version,
            actor_type=context.actor_type.value,
            actor_id=context.actor_id,
            notified_at=context.notified_at,
            evidence=context.evidence,
            recorded_at=now,
        )
        chain.seal(event, prev_hash=prev_hash, evidence_key=evidence_key, digest=digest)
        prev_hash = event.hash
        recorded.append(event)
        states[event.purpose] = _fold(states.get(event.purpose), event)
        event_ids[event.purpose] = event.id
    changed = [
        {"subject_id": subject.id, "event_id": event_ids[purpose], "event_recorded_at": now, **vars(states[purpose])}
        for purpose in sorted(event_ids)
    ]
    facts, subject_values = _subject_facts(subject, context, rules, country, revision, now)
    if recorded:
        # Moves with the revision, in the same statement: the next write links to it without reading the ledger.
        subject_values["head_hash"] = prev_hash
    circumstances = _circumstances(
        rules, regime=regime.value, policy=policy, subject=facts, now=now, region=context.region
    )
    state = _subject_state(
        subject.kind, subject.external_id, revision, catalogue, states, circumstances, subject.id, jurisdiction
    )
    return Recorded(events=recorded, states=changed, subject_values=subject_values, state=state)


def _expire_loaded(session: Session, subject_id: int, purposes: Iterable[str]) -> None:
    """Core wrote past the ORM: objects of this subject a caller loaded earlier are reloaded on next use."""
    if not session.identity_map:
        return
    keys = [identity_key(Subject, subject_id), *(identity_key(ConsentState, (subject_id, p)) for p in purposes)]
    for key in keys:
        loaded = session.identity_map.get(key)
        if loaded is not None:
            session.expire(loaded)


def _gpc_denials(events: Sequence[EventInput], context: EventContext, policy: RegimePolicy) -> list[EventInput]:
    """A GPC signal is an opt-out of its purposes, recorded as such, unless this very request
    switches one of them on in a way that outranks the signal (rules: gpc.outranked_by), or
    already records the signal's refusal."""
    if not context.gpc:
        return []
    outranks = policy.gpc_outranked_by.outranks
    explicit = {
        e.purpose
        for e in events
        if e.method is Method.GPC  # already refused by the signal itself
        or (e.decision is Decision.GRANTED and outranks(context.actor_type, e.method))
    }
    return [
        EventInput(purpose=purpose, decision=Decision.DENIED, method=Method.GPC)
        for purpose in sorted(policy.gpc_purposes - explicit)
    ]


def _shown_policy(rules: RegimeRules, jurisdiction: str | None, shown: Regime | None) -> RegimePolicy:
    """The policy a write is weighed by: the jurisdiction's, unless the subject was shown another regime
    (a banner's, a preference page's), whose policy then holds."""
    policy = rules.policy_for(jurisdiction)
    return policy if shown is None or policy.regime is shown else rules.policy(shown)


def _require_valid_consent(
    events: Sequence[EventInput],
    context: EventContext,
    rules: RegimeRules,
    policy: RegimePolicy,
    country: str | None,
    catalogue: dict[str, CataloguePurpose],
    now: datetime,
) -> None:
    """Refuse decisions made in a way that makes no sense for their purpose (rules: methods), and
    grants that are not valid consent here: wrong method, a minor on their own, an implied grant of
    recording with no notification on record, or a transfer that names no destination, or "*" where
    the regime wants destinations named. Otherwise refusals and withdrawals are always accepted."""
    regime = policy.regime
    minors = rules.minor_rules(country)
    minor, method, destination, every, notification = {}, {}, {}, {}, {}
    if context.notified_at is not None and context.notified_at > now:
        raise ValidationFailed(
            "A notification is recorded once it was given.", errors={"notified_at": ["Later than now: not yet heard."]}
        )
    for index, event in enumerate(events):
        problem = rules.methods.problem(
            method=event.method,
            category=catalogue[event.purpose].category,
            purpose=event.purpose,
            policy=policy,
            from_flow=context.from_flow,
        )
        if problem:
            method[f"events.{index}.method"] = [problem]
            continue
        if event.decision is not Decision.GRANTED or event.method is Method.LINKED:
            # A carried-over grant was checked when the visitor gave it; callers cannot send `linked`.
            continue
        limit = None if context.age is None else minors.limit(event.purpose, True, context.age)
        if limit is MinorLimit.NEVER:
            minor[f"events.{index}.decision"] = [
                f"Not under {minors.alone_from(event.purpose)} here, whoever consents."
            ]
        elif limit is MinorLimit.GUARDIAN and context.actor_type is not ActorType.GUARDIAN:
            minor[f"events.{index}.decision"] = [
                f"Under {minors.alone_from(event.purpose)}, a guardian consents (actor type guardian)."
            ]
        if not policy.counts_as_consent(event.purpose, event.method):
            method[f"events.{index}.method"] = [
                f"{event.method.value!r} is not valid consent for {event.purpose!r} in the {regime.value} regime."
            ]
        if (
            event.purpose == RECORDING_PURPOSE
            and event.method in rules.recording.notified_methods
            and context.notified_at is None
        ):
            notification["notified_at"] = [
                f"A {event.method.value!r} grant of recording counts only with when the caller was notified "
                "(and notice_version, what they heard)."
            ]
        if event.purpose == TRANSFER_PURPOSE and not context.destination_country:
            destination["destination_country"] = ["A transfer consent names its destination country."]
        elif (
            event.purpose == TRANSFER_PURPOSE
            and context.destination_country == ALL_DESTINATIONS
            and not policy.all_destinations
        ):
            every["destination_country"] = [
                f"In the {regime.value} regime a transfer consent names its destination country, not *."
            ]
    if minor:
        raise MinorConsent("A minor cannot consent alone.", errors=minor | method | notification | destination | every)
    if method:
        raise MethodNotValid(
            "Some grants are not valid consent here.", errors=method | notification | destination | every
        )
    if notification:
        raise NotificationRequired(
            "An implied grant needs the notification it followed.", errors=notification | destination | every
        )
    if destination:
        raise ValidationFailed(errors=destination)
    if every:
        raise DestinationNotNamed("A transfer consent names its destinations here.", errors=every)


def _subject_facts(
    subject: SubjectHead, context: EventContext, rules: RegimeRules, country: str | None, revision: int, now: datetime
) -> tuple[SubjectFacts, dict[str, Any]]:
    """The facts the rules read after this write, and the subject's columns it changes: the new
    revision and what the request said about the subject."""
    values: dict[str, Any] = {"revision": revision, "updated_at": now}
    if context.country:
        values["country"] = context.country
    if context.age is not None:
        # The age as stated, kept as the latest birth date it allows; each check reads the age from it
        # for its own jurisdiction (subjects/ages.py), never a minority fixed to this request's country.
        values["born_by"] = ages.born_by(age=context.age, stated_at=now)
    facts = SubjectFacts(
        id=subject.id,
        revision=revision,
        country=values.get("country", subject.country),
        born_by=values.get("born_by", subject.born_by),
        restricted=bool(subject.restricted),
    )
    return facts, values


def _fold(state: StateRow | None, event: chain.EventValues | ConsentEvent) -> StateRow:
    """The state after one more event: the latest decision for a purpose wins; transfer
    consents accumulate per destination, and a refusal without one ends them all. A stored
    event folds as a new one does (the ledger's verification replays the chain)."""
    decision = event.decision
    destinations = None
    if event.purpose == TRANSFER_PURPOSE:
        kept = set((state.destinations if state is not None else None) or ())
        destination = event.destination_country
        if decision == Decision.GRANTED:
            kept.add(destination or ALL_DESTINATIONS)
        elif destination in (None, ALL_DESTINATIONS) or ALL_DESTINATIONS in kept:
            kept.clear()
        else:
            kept.discard(destination)
        destinations = sorted(kept)
        decision = Decision.GRANTED.value if kept else decision
    elif state is not None:
        destinations = state.destinations
    return StateRow(
        purpose=event.purpose,
        decision=decision,
        method=event.method,
        notice_version=event.notice_version,
        regime=event.regime,
        property_key=event.property_key,
        actor_type=event.actor_type,
        revision=event.revision,
        updated_at=event.recorded_at,
        destinations=destinations,
        notified_at=event.notified_at,
    )


def read_state(
    *,
    session: Session,
    kind: str,
    external_id: str,
    rules: RegimeRules,
    now: datetime,
    country: str | None = None,
    region: str | None = None,
    pepper: str | None = None,
    snapshot: Snapshot | None = None,
    min_revision: int = 0,
) -> SubjectState:
    """The current state for every purpose; an unknown subject has the defaults and revision 0.

    With the erasure pepper, a suppression entry for the identifier (an erased customer seen
    again) is taken into account. One read: subject, states and suppression with the generation
    that confirms `snapshot` (raises StaleSnapshot otherwise); without one, a fresh snapshot.
    `min_revision`: a revision of the subject the caller saw written; the state read is at least that new."""
    country = place(country, region)
    snapshot = snapshot or generations.fresh(session=session)
    asked = [(kind, external_id)]
    generation, (found,) = store_for(session).lookup(
        session=session,
        identifiers=asked,
        purpose_keys=None,
        pseudonyms=_pseudonyms(pepper, asked),
        min_revisions=[min_revision],
    )
    snapshot.confirm(generation)
    subject, states = found.subject, found.states
    jurisdiction, regime, policy = _jurisdiction(rules, country, region, subject, states)
    circumstances = _circumstances(
        rules,
        regime=regime,
        policy=policy,
        subject=subject,
        now=now,
        region=region,
        material_changes=snapshot.material_changes,
        suppressed_since=found.suppressed_since,
        suppressed_purposes=found.suppressed_purposes,
    )
    revision = subject.revision if subject is not None else 0
    return _subject_state(
        kind,
        external_id,
        revision,
        snapshot.catalogue,
        states,
        circumstances,
        subject.id if subject is not None else None,
        jurisdiction,
    )


@dataclass(frozen=True)
class CheckRequest:
    kind: str
    external_id: str
    purposes: Sequence[str]
    country: str | None = None
    # The ISO 3166-2 subdivision (US-CA): its rules, where the rules file has some, decide.
    region: str | None = None
    destination_country: str | None = None
    gpc: bool = False
    # Automated decisions asked on behalf of an organization (a customer subject).
    on_behalf_of: str | None = None
    # Automated decisions: one with legal or similarly significant effect (GDPR Art. 22), and what the
    # operator declares makes it necessary instead of explicit consent (recorded in the answer's reason).
    legal_effect: bool = False
    necessity: Necessity | None = None
    # For a transfer: the registered recipient (recipients domain) whose safeguards may allow it.
    recipient: str | None = None
    # A revision of the subject the caller saw written: the check answers from a state at least that new.
    min_revision: int = 0


def check_many(
    *,
    session: Session,
    requests: Sequence[CheckRequest],
    rules: RegimeRules,
    now: datetime,
    field_prefix: str | None = None,
    pepper: str | None = None,
    snapshot: Snapshot | None = None,
) -> list[CheckResult]:
    """Answer "may I process this subject's data for these purposes now?" for each request.

    One read for all of them, which also confirms `snapshot` (see read_state)."""
    snapshot = snapshot or generations.fresh(session=session)
    catalogue = snapshot.catalogue
    # Field paths only name errors: they are spelled out once a purpose is not in the catalogue.
    if any(key not in catalogue for request in requests for key in request.purposes):
        _require_known(
            session,
            snapshot,
            {
                f"{_where(field_prefix, index)}purposes.{i}": key
                for index, request in enumerate(requests)
                for i, key in enumerate(request.purposes)
            },
        )
    targets = _transfer_targets(session, snapshot, requests, field_prefix)
    requests = [
        dataclasses.replace(
            request, country=place(request.country, request.region, field=f"{_where(field_prefix, index)}region")
        )
        if request.region is not None
        else request
        for index, request in enumerate(requests)
    ]
    identifiers = [(request.kind, request.external_id) for request in requests]
    generation, found = store_for(session).lookup(
        session=session,
        identifiers=identifiers,
        purpose_keys=sorted({key for request in requests for key in request.purposes}),
        pseudonyms=_pseudonyms(pepper, identifiers),
        min_revisions=[request.min_revision for request in requests],
    )
    snapshot.confirm(generation)
    return [
        _check(session, request, rules, catalogue, snapshot.material_changes, now, entry, target)
        for request, entry, target in zip(requests, found, targets, strict=False)
    ]


def _pseudonyms(pepper: str | None, identifiers: Sequence[tuple[str, str]]) -> list[str] | None:
    """The keyed pseudonyms a suppression entry is found by, with the erasure pepper; None without it."""
    if not pepper:
        return None
    return [subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id) for kind, external_id in identifiers]


def _transfer_targets(
    session: Session,
    snapshot: Snapshot,
    requests: Sequence[CheckRequest],
    field_prefix: str | None,
) -> list[tuple[str | None, RecipientEntry | None]]:
    """Each check's destination and recipient. A named recipient must be registered, and it receives
    the data where it is: its country is the destination, the one given or, when none is, the one
    taken. A transfer check names a destination or a recipient."""
    targets, unknown, elsewhere, missing = [], {}, {}, {}
    for index, request in enumerate(requests):
        destination, recipient = request.destination_country, None
        if request.recipient is not None:
            recipient = snapshot.recipients.get(request.recipient)
            if recipient is None:
                unknown[f"{_where(field_prefix, index)}recipient"] = [
                    f"No recipient {request.recipient!r} is registered."
                ]
            elif destination is None:
                destination = recipient.country
            elif destination != recipient.country:
                elsewhere[f"{_where(field_prefix, index)}destination_country"] = [
                    f"Recipient {recipient.key!r} is in {recipient.country}, not {destination}."
                ]
        if destination is None and request.recipient is None and TRANSFER_PURPOSE in request.purposes:
            missing[f"{_where(field_prefix, index)}destination_country"] = ["Required to check a transfer."]
        targets.append((destination, recipient))
    if unknown or elsewhere:
        # Refused only once the snapshot is confirmed current: a recipient registered or moved since is seen.
        snapshot.confirm(generations.current_generation(session=session))
    if unknown:
        raise recipients.UnknownRecipient("Unknown recipient.", errors=unknown)
    if elsewhere:
        raise recipients.RecipientElsewhere("The recipient is not in the destination country.", errors=elsewhere)
    if missing:
        raise ValidationFailed("A transfer check names its destination.", errors=missing)
    return targets


def _where(field_prefix: str | None, index: int) -> str:
    """The path of a batch's check in error messages ("checks.3."), or nothing for a single check."""
    return f"{field_prefix}.{index}." if field_prefix else ""


def _require_known(session: Session, snapshot: Snapshot, given: dict[str, str]) -> None:
    """Unknown purposes are refused only once the snapshot is confirmed current: a purpose added
    by another process since it was taken is known."""
    try:
        purposes.require_known(snapshot.catalogue, given)
    except purposes.UnknownPurpose:
        snapshot.confirm(generations.current_generation(session=session))
        raise


def _check(
    session: Session,
    request: CheckRequest,
    rules: RegimeRules,
    catalogue: dict[str, CataloguePurpose],
    changes: Sequence[MaterialChange],
    now: datetime,
    found: Found,
    target: tuple[str | None, RecipientEntry | None],
) -> CheckResult:
    subject = found.subject
    states = {key: state for key, state in found.states.items() if key in request.purposes}
    jurisdiction, regime, policy = _jurisdiction(rules, request.country, request.region, subject, states)
    circumstances = _circumstances(
        rules,
        regime=regime,
        policy=policy,
        subject=subject,
        now=now,
        country=request.country,
        region=request.region,
        gpc=request.gpc,
        destination=target[0],
        recipient=target[1],
        organization_enabled=_organization_enabled(session, request.on_behalf_of) if request.on_behalf_of else None,
        legal_effect=request.legal_effect,
        necessity=request.necessity,
        material_changes=changes,
        suppressed_since=found.suppressed_since,
        suppressed_purposes=found.suppressed_purposes,
    )
    decisions = {key: effective(catalogue[key], states.get(key), circumstances) for key in request.purposes}
    return CheckResult(
        allowed=all(d.allowed for d in decisions.values()), decisions=decisions, jurisdiction=jurisdiction
    )


def _organization_enabled(session: Session, organization_id: str) -> bool:
    organization = subjects.find(session=session, kind=SubjectKind.CUSTOMER.value, external_id=organization_id)
    if organization is None:
        return False
    state = _states_of(session, organization.id, [AUTOMATED_DECISIONS_PURPOSE]).get(AUTOMATED_DECISIONS_PURPOSE)
    return state is not None and state.decision == Decision.GRANTED


def count_awaiting_reconsent(*, session: Session, notice: Notice) -> int:
    """How many current grants a material notice puts up for reconsent."""
    if not notice.material:
        return 0
    query = (
        select(func.count())
        .select_from(ConsentState)
        .where(
            ConsentState.purpose.in_(notice.purposes),
            ConsentState.updated_at < notice.published_at,
            ConsentState.decision == Decision.GRANTED.value,
        )
    )
    if notice.property_key is not None:
        query = query.where(ConsentState.property_key == notice.property_key)
    return session.scalar(query) or 0


def subject_revision(*, session: Session, kind: str, external_id: str) -> int:
    """The subject's revision as this session's server holds it (bumped by each of its events; 0: unknown subject)."""
    revision = session.scalar(select(Subject.revision).where(Subject.kind == kind, Subject.external_id == external_id))
    return revision or 0


def list_events(
    *,
    session: Session,
    kind: str,
    external_id: str,
    purpose: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ConsentEvent], str | None]:
    """The ledger of one subject, newest first; the cursor is opaque to callers."""
    before = _decode_cursor(cursor) if cursor else None
    query = (
        select(ConsentEvent)
        .join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .order_by(ConsentEvent.revision.desc())
        .limit(limit + 1)
    )
    if purpose is not None:
        query = query.where(ConsentEvent.purpose == purpose)
    if before is not None:
        query = query.where(ConsentEvent.revision < before)
    events = list(session.scalars(query))
    has_more = len(events) > limit
    events = events[:limit]
    next_cursor = _encode_cursor(events[-1].revision) if has_more else None
    return events, next_cursor


def _encode_cursor(revision: int) -> str:
    return base64.urlsafe_b64encode(f"r{revision}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError:
        raise InvalidCursor("The cursor is not valid.", errors={"cursor": ["Not a cursor from this API."]}) from None


# How far back in a subject's ledger the last banner evidence is looked for: a banner choice writes one event per
# purpose shown, so this covers the last few choices; an older record is no answer for today.
BANNER_EVIDENCE_LOOKBACK_EVENTS = 64


def latest_banner_evidence(*, session: Session, kind: str, external_id: str, key: str) -> str | None:
    """Evidence `key` (a TC string) of the subject's last banner choice that recorded it, among its recent events."""
    evidence = session.scalars(
        select(ConsentEvent.evidence)
        .join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(
            Subject.kind == kind,
            Subject.external_id == external_id,
            ConsentEvent.method.in_(BANNER_METHODS),
        )
        .order_by(ConsentEvent.revision.desc())
        .limit(BANNER_EVIDENCE_LOOKBACK_EVENTS)
    )
    for recorded in evidence:
        if recorded and recorded.get(key):
            return str(recorded[key])
    return None


def events_of(*, session: Session, subject_id: int) -> list[ConsentEvent]:
    """A subject's whole ledger, oldest first."""
    return list(
        session.scalars(
            select(ConsentEvent).where(ConsentEvent.subject_id == subject_id).order_by(ConsentEvent.revision)
        )
    )


def states_of(*, session: Session, subject_id: int) -> dict[str, ConsentState]:
    return _states_of(session, subject_id)


def _states_of(session: Session, subject_id: int, purpose_keys: Sequence[str] | None = None) -> dict[str, ConsentState]:
    query = select(ConsentState).where(ConsentState.subject_id == subject_id)
    if purpose_keys is not None:
        query = query.where(ConsentState.purpose.in_(set(purpose_keys)))
    return {state.purpose: state for state in session.scalars(query)}


def _jurisdiction(
    rules: RegimeRules,
    country: str | None,
    region: str | None,
    subject: SubjectFacts | None,
    states: dict[str, StateRow],
) -> tuple[str | None, str, RegimePolicy]:
    """Whose rules answer, their regime and policy: the region asked about (where the rules name it), else
    the country asked about, else the subject's last known country, else the regime of its latest
    decision, else the default."""
    country = country or (subject.country if subject is not None else None)
    if country is not None or not states:
        jurisdiction = rules.jurisdiction(country, region)
        policy = rules.policy_for(jurisdiction)
        return jurisdiction, policy.regime.value, policy
    regime = max(states.values(), key=lambda s: s.revision).regime
    return None, regime, rules.policy(regime)


def _circumstances(
    rules: RegimeRules,
    *,
    regime: str,
    policy: RegimePolicy,
    subject: SubjectFacts | None,
    now: datetime,
    country: str | None = None,
    region: str | None = None,
    gpc: bool = False,
    destination: str | None = None,
    recipient: RecipientEntry | None = None,
    organization_enabled: bool | None = None,
    legal_effect: bool = False,
    necessity: Necessity | None = None,
    material_changes: Sequence[MaterialChange] = (),
    suppressed_since: datetime | None = None,
    suppressed_purposes: frozenset[str] | None = None,
) -> Circumstances:
    country = country or (subject.country if subject is not None else None)
    return Circumstances(
        restricted=subject is not None and subject.restricted,
        suppressed_since=suppressed_since,
        suppressed_purposes=suppressed_purposes,
        regime=regime,
        policy=policy,
        region=region,
        age=ages.age_at(subject.born_by, now) if subject is not None and subject.born_by is not None else None,
        minors=rules.minor_rules(country),
        gpc=gpc,
        destination=destination,
        recipient=recipient,
        transfer_region=rules.transfer_region(country),
        organization_enabled=organization_enabled,
        legal_effect=legal_effect,
        necessity=necessity,
        notified_methods=rules.recording.notified_methods,
        material_changes=tuple(material_changes),
    )


def _subject_state(
    kind: str,
    external_id: str,
    revision: int,
    catalogue: dict[str, CataloguePurpose],
    states: dict[str, StateRow],
    circumstances: Circumstances,
    subject_key: int | None,
    jurisdiction: str | None = None,
) -> SubjectState:
    return SubjectState(
        jurisdiction=jurisdiction,
        subject_key=subject_key,
        kind=kind,
        id=external_id,
        revision=revision,
        regime=circumstances.regime,
        consents={key: effective(purpose, states.get(key), circumstances) for key, purpose in catalogue.items()},
    )
