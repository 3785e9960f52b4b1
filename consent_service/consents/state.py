"""The effective decision for one purpose: what the subject said, weighed by the rules.

Checks, the state endpoint and tokens all answer from `effective`, so a rule lives in one
place. Precedence, first match wins:
 0. a subject who restricted processing (GDPR Art. 18) is refused every purpose but
    `necessary` and `service_notices` (`restricted`); an erased customer whose id comes back is
    kept out of communication purposes, and of every purpose it had refused before the erasure
    (`suppressed`), until a decision given after the erasure;
 1. a purpose that cannot be refused is allowed (`not_refusable`); one an age rule of the check's
    jurisdiction closes to the subject's age (automated decisions for a child, an operator's
    "not eligible under 18") is refused, whatever was recorded (`minor`);
 2. a transfer to a destination inside the subject's region or deemed adequate, or from a
    country whose law does not restrict it, needs no consent (`adequate`, `not_required`); nor
    does one to a named recipient with a safeguard the region recognizes (`safeguarded`: DPF
    certification, signed SCCs, BCRs); otherwise only a consent naming that destination allows
    it, a consent to "*" only where the regime's rules accept one (`destination_not_named`);
 3. automated decisions asked on behalf of an organization: allowed only when the organization
    enabled them (`not_enabled`) and the person has not objected (`objected`, `not_objected`); one with
    legal or similarly significant effect (`legal_effect`), where the regime's law wants more than no
    objection (GDPR Art. 22), only with explicit consent (`granted`: a grant by one of the regime's
    `legal_effect.explicit_consent_methods`) or the operator's declared contract necessity
    (`contract_necessity`), else `explicit_consent_required`;
 4. below an age rule's age, a default never allows (`minor`); below the age of digital consent
    (or an operator's stricter policy age) neither does the minor's own grant, a guardian's does;
    below an opt-in age (CCPA sale/sharing under 16) any recorded grant does. The ages are the
    check's jurisdiction's (regimes/service.py MinorRules), the subject's age a lower bound;
 5. a Global Privacy Control signal turns off the purposes its regime lists unless the latest grant
    outranks it: the rules file's `gpc.outranked_by` (the person themselves, choosing that purpose;
    never an "accept all", implied consent, nor an agent or the system) (`gpc`);
 6. an unconfirmed double opt-in is `pending`; an implied grant of recording (the rules file's
    `recording.notified_methods`) with no notification on record counts for nothing
    (`notification_missing`); where recording needs every party's consent (`recording_all_parties`)
    a default never allows it. Every recording answer says which rule held (`recording_consent`);
 7. a grant older than a material notice change of its purpose is flagged `reconsent_required`,
    and for opt-in purposes it no longer allows;
 8. otherwise the recorded decision, or the regime's default (`default_opt_out`, `opt_in_required`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from consent_service.consents.store import StateRow
from consent_service.purposes.service import CataloguePurpose
from consent_service.recipients.service import RecipientEntry
from consent_service.regimes.service import (
    NO_MINOR_RULES,
    TRANSFER_PURPOSE,
    MinorLimit,
    MinorRules,
    RegimePolicy,
    TransferRegion,
)
from consent_service.vocabulary import ActorType, Basis, Decision, LegalBasis, Method, Necessity, Reason

if TYPE_CHECKING:
    from consent_service.notices.service import MaterialChange

AUTOMATED_DECISIONS_PURPOSE = "automated_decisions"
RECORDING_PURPOSE = "recording"
# Whose consent recording needs in the jurisdiction of the answer (`recording_consent`).
ALL_PARTIES, ONE_PARTY = "all_parties", "one_party"
ALL_DESTINATIONS = "*"
# What a restriction of processing still allows: what the service cannot work without.
UNRESTRICTED_PURPOSES = frozenset({"necessary", "service_notices"})
SUPPRESSED_CATEGORY = "communication"


@dataclass(frozen=True)
class PurposeState:
    purpose: str
    decision: Decision
    allowed: bool
    reason: Reason
    source: str  # "event" or "default"
    method: str | None = None
    notice_version: str | None = None
    updated_at: datetime | None = None
    reconsent_required: bool = False
    # On what ground an allowed answer allows (None for a refusal), and the rule that decided.
    basis: Basis | None = None
    rule: str | None = None
    # A transfer check naming a recipient: its key, on that transfer's answer.
    recipient: str | None = None
    # Recording only: ALL_PARTIES where every party must consent, else ONE_PARTY.
    recording_consent: str | None = None


# What decided, when it is not an entry of the rules file (those are named by their path there).
RULE_EVENT = "event"  # the subject's latest recorded decision
RULE_RESTRICTION = "restriction"
RULE_SUPPRESSION = "suppression"
RULE_NOT_REFUSABLE = "catalogue.refusable"
RULE_MINORS = "minors"  # the law's and the operator's age rules (rules file minors, policy.minors)
RULE_GPC = "gpc.outranked_by"
RULE_DOUBLE_OPT_IN = "double_opt_in"
RULE_MATERIAL_NOTICE = "notices.material"
RULE_CATALOGUE_DEFAULT = "catalogue.defaults"
RULE_ORGANIZATION = "automated_decisions.organization"  # the organization enabled them, or not
RULE_OBJECTION = "automated_decisions.objection"  # GDPR Art. 21: allowed until the person objects
RULE_NECESSITY = "automated_decisions.necessity"  # the operator declared the decision necessary (the check's)
RULE_NOTIFICATION = "recording.notified_methods"  # an implied grant with no notification on record


@dataclass(frozen=True)
class Circumstances:
    """What else a decision depends on: the regime, the subject, the question asked."""

    regime: str
    policy: RegimePolicy
    # The ISO 3166-2 subdivision of the check (US-CA), when given; its rules, if any, are in `policy`.
    region: str | None = None
    # The subject's age at the check (a lower bound; None: never stated) and the jurisdiction's age rules.
    age: int | None = None
    minors: MinorRules = NO_MINOR_RULES
    gpc: bool = False
    destination: str | None = None
    # The registered recipient a transfer check names (its country is the destination).
    recipient: RecipientEntry | None = None
    transfer_region: TransferRegion | None = None
    # For automated decisions asked on behalf of an organization: has it enabled them?
    organization_enabled: bool | None = None
    # For automated decisions: does this one have legal or similarly significant effect, and did the
    # operator declare it necessary (for a contract with the person) instead of asking consent?
    legal_effect: bool = False
    necessity: Necessity | None = None
    # The implied ways of granting recording that count only with a notification on record.
    notified_methods: frozenset[str] = frozenset()
    material_changes: tuple[MaterialChange, ...] = ()
    restricted: bool = False
    # When an erased subject with this identifier was suppressed, if one was, and the purposes it had
    # refused then (None: an entry older than that record, which suppresses communication only).
    suppressed_since: datetime | None = None
    suppressed_purposes: frozenset[str] | None = None


class _Answer(Protocol):
    """`effective`'s answer for its purpose, as the rules below give it."""

    def __call__(
        self,
        allowed: bool,
        reason: Reason,
        rule: str,
        basis: Basis | None = None,
        decision: Decision | None = None,
        reconsent_required: bool = False,
    ) -> PurposeState: ...


def effective(purpose: CataloguePurpose, state: StateRow | None, c: Circumstances) -> PurposeState:
    """The answer for one purpose of one subject under these circumstances."""
    if state is None:
        source, method, notice_version, updated_at = "default", None, None, None
    else:
        source, method, notice_version, updated_at = "event", state.method, state.notice_version, state.updated_at
    recording_consent = None
    if purpose.key == RECORDING_PURPOSE:
        recording_consent = ALL_PARTIES if c.policy.recording_all_parties else ONE_PARTY

    def answer(
        allowed: bool,
        reason: Reason,
        rule: str,
        basis: Basis | None = None,
        decision: Decision | None = None,
        reconsent_required: bool = False,
    ) -> PurposeState:
        """`basis` only for an allowed answer: a refusal has none."""
        if decision is None:  # the recorded decision, or for rules that need none, the answer itself
            decision = (
                Decision(state.decision) if state is not None else Decision.GRANTED if allowed else Decision.DENIED
            )
        return PurposeState(
            purpose=purpose.key,
            decision=decision,
            allowed=allowed,
            reason=reason,
            source=source,
            method=method,
            notice_version=notice_version,
            updated_at=updated_at,
            reconsent_required=reconsent_required,
            basis=basis if allowed else None,
            rule=rule,
            recording_consent=recording_consent,
        )

    if c.restricted and purpose.key not in UNRESTRICTED_PURPOSES:
        return answer(False, Reason.RESTRICTED, RULE_RESTRICTION)
    if (
        c.suppressed_since is not None
        and purpose.refusable
        and (purpose.category == SUPPRESSED_CATEGORY or purpose.key in (c.suppressed_purposes or ()))
        and (state is None or state.updated_at <= c.suppressed_since)
    ):
        return answer(False, Reason.SUPPRESSED, RULE_SUPPRESSION)
    if not purpose.refusable:
        return answer(True, Reason.NOT_REFUSABLE, RULE_NOT_REFUSABLE, _own_basis(purpose), Decision.GRANTED)
    minor = None if c.age is None else c.minors.limit(purpose.key, purpose.legal_basis == LegalBasis.CONSENT, c.age)
    if minor is MinorLimit.NEVER:
        return answer(False, Reason.MINOR, RULE_MINORS, decision=Decision.DENIED if state is None else None)
    if purpose.key == TRANSFER_PURPOSE and c.destination is not None:
        return _transfer(state, c, answer)
    if purpose.key == AUTOMATED_DECISIONS_PURPOSE:
        decided = _automated_decision(purpose, state, c, answer)
        if decided is not None:
            return decided

    if state is None:
        default, rule = default_decision(purpose, c)
        if minor is not None:
            return answer(False, Reason.MINOR, RULE_MINORS, decision=Decision.DENIED)
        granted = default is Decision.GRANTED
        if granted and recording_consent == ALL_PARTIES:  # every party's own consent, never a default
            return answer(
                False, Reason.OPT_IN_REQUIRED, c.policy.path_of("recording_all_parties"), decision=Decision.DENIED
            )
        if granted and c.gpc and purpose.key in c.policy.gpc_purposes:  # the signal decides only what it changes
            return answer(False, Reason.GPC, c.policy.path_of("gpc_purposes"), decision=Decision.DENIED)
        return answer(
            granted,
            Reason.DEFAULT_OPT_OUT if granted else Reason.OPT_IN_REQUIRED,
            rule,
            _without_consent(purpose),
            default,
        )

    decision = Decision(state.decision)
    if decision is not Decision.GRANTED:
        return answer(False, Reason(decision.value), RULE_EVENT, decision=decision)
    if minor is MinorLimit.GUARDIAN and state.actor_type != ActorType.GUARDIAN:
        return answer(False, Reason.MINOR, RULE_MINORS, decision=decision)
    if (
        c.gpc
        and purpose.key in c.policy.gpc_purposes
        and not c.policy.gpc_outranked_by.outranks(state.actor_type, state.method)
    ):
        return answer(False, Reason.GPC, RULE_GPC, decision=decision)
    if state.method == Method.DOUBLE_OPT_IN:
        return answer(False, Reason.PENDING, RULE_DOUBLE_OPT_IN, decision=decision)
    if recording_consent is not None and state.method in c.notified_methods and state.notified_at is None:
        return answer(False, Reason.NOTIFICATION_MISSING, RULE_NOTIFICATION, decision=decision)
    if any(
        change.affects(purpose=purpose.key, property_key=state.property_key, given_at=state.updated_at)
        for change in c.material_changes
    ):
        opt_in = default_decision(purpose, c)[0] is Decision.DENIED
        return answer(
            not opt_in,
            Reason.RECONSENT_REQUIRED if opt_in else Reason.GRANTED,
            RULE_MATERIAL_NOTICE,
            _without_consent(purpose),
            decision,
            reconsent_required=True,
        )
    return answer(True, Reason.GRANTED, RULE_EVENT, Basis.CONSENT, decision)


def default_decision(purpose: CataloguePurpose, c: Circumstances) -> tuple[Decision, str]:
    """What holds when the subject said nothing, and where that is said: the rules file's default,
    else the catalogue's."""
    ruled = c.policy.purpose_defaults.get(purpose.key)
    if ruled is not None:
        return ruled, c.policy.path_of(f"purposes.{purpose.key}.default")
    return Decision(purpose.defaults.get(c.regime, Decision.DENIED)), RULE_CATALOGUE_DEFAULT


def _own_basis(purpose: CataloguePurpose) -> Basis:
    """The basis of a purpose that cannot be refused: its own legal basis (never consent, which can be)."""
    return Basis(purpose.legal_basis) if purpose.legal_basis != LegalBasis.CONSENT else Basis.NOT_REQUIRED


def _without_consent(purpose: CataloguePurpose) -> Basis:
    """The basis of processing the person did not agree to and that the law allows until they object:
    a consent purpose needs none here; another purpose keeps its own (e.g. legitimate interest)."""
    return Basis.NOT_REQUIRED if purpose.legal_basis == LegalBasis.CONSENT else Basis(purpose.legal_basis)


def _automated_decision(
    purpose: CataloguePurpose, state: StateRow | None, c: Circumstances, answer: _Answer
) -> PurposeState | None:
    """An automated decision on behalf of an organization, or with legal effect: the organization's
    switch, then the person's objection (both as ever), then, for one with legal or similarly
    significant effect where the regime wants more than no objection, explicit consent or the
    operator's declared contract necessity (GDPR Art. 22(2)(a) and (c)). None when neither applies
    (an ordinary consent purpose then): a legal effect never answers more leniently than none."""
    explicit = c.policy.legal_effect_consent_methods
    needs_explicit = c.legal_effect and explicit is not None  # None: an opt-out law, no objection suffices
    declared = c.legal_effect and c.necessity is Necessity.CONTRACT
    if c.organization_enabled is None and not (needs_explicit or declared):
        return None
    if c.organization_enabled is False:
        return answer(False, Reason.NOT_ENABLED, RULE_ORGANIZATION)
    if state is not None and state.decision != Decision.GRANTED:
        return answer(False, Reason.OBJECTED, RULE_OBJECTION)
    if declared:
        return answer(True, Reason.CONTRACT_NECESSITY, RULE_NECESSITY, Basis.CONTRACT)
    legal_effect_rule = c.policy.path_of("legal_effect")
    if not needs_explicit or explicit is None:  # explicit is None: needs_explicit is False
        if c.legal_effect:  # an opt-out law (US profiling opt-outs): nothing more is required
            return answer(True, Reason.NOT_OBJECTED, legal_effect_rule, Basis.NOT_REQUIRED)
        return answer(True, Reason.NOT_OBJECTED, RULE_OBJECTION, Basis.LEGITIMATE_INTEREST)
    if state is None or state.method not in explicit:
        return answer(
            False,
            Reason.EXPLICIT_CONSENT_REQUIRED,
            f"{legal_effect_rule}.explicit_consent_methods",
            decision=Decision.DENIED if state is None else None,
        )
    if any(
        change.affects(purpose=purpose.key, property_key=state.property_key, given_at=state.updated_at)
        for change in c.material_changes
    ):
        return answer(False, Reason.RECONSENT_REQUIRED, RULE_MATERIAL_NOTICE, reconsent_required=True)
    return answer(True, Reason.GRANTED, RULE_EVENT, Basis.CONSENT)


def _transfer(state: StateRow | None, c: Circumstances, answer: _Answer) -> PurposeState:
    """The transfer answer; one that weighed a named recipient names it."""
    decided = _transfer_basis(state, c, answer)
    return decided if c.recipient is None else replace(decided, recipient=c.recipient.key)


def _transfer_basis(state: StateRow | None, c: Circumstances, answer: _Answer) -> PurposeState:
    region = c.transfer_region
    if region is None:
        return answer(True, Reason.NOT_REQUIRED, "transfers", Basis.NOT_REQUIRED)
    if c.destination in region.countries:
        return answer(True, Reason.ADEQUATE, f"transfers.{region.name}.countries", Basis.NOT_REQUIRED)
    if c.destination in region.adequate:
        return answer(True, Reason.ADEQUATE, f"transfers.{region.name}.adequate", Basis.ADEQUACY)
    safeguard = None if c.recipient is None else _safeguard(region, c.recipient)
    if c.recipient is not None and safeguard is not None:
        return answer(True, Reason.SAFEGUARDED, f"recipients.{c.recipient.key}.{safeguard}", Basis(safeguard))
    destinations = set(state.destinations or ()) if state is not None else set()
    if c.destination in destinations:
        return answer(True, Reason.GRANTED, RULE_EVENT, Basis.CONSENT, Decision.GRANTED)
    if ALL_DESTINATIONS in destinations:
        # The evidence stays as recorded; whether it is consent is the rules' call, made at each check.
        if c.policy.all_destinations:
            return answer(True, Reason.GRANTED, RULE_EVENT, Basis.CONSENT, Decision.GRANTED)
        return answer(
            False,
            Reason.DESTINATION_NOT_NAMED,
            f"regimes.{c.regime}.purposes.{TRANSFER_PURPOSE}.all_destinations",
            decision=Decision.GRANTED,
        )
    if state is None:
        return answer(False, Reason.OPT_IN_REQUIRED, f"transfers.{region.name}", decision=Decision.DENIED)
    decision = Decision(state.decision)
    return answer(
        False,
        Reason(decision.value) if decision is not Decision.GRANTED else Reason.OPT_IN_REQUIRED,
        RULE_EVENT,
        decision=Decision.DENIED,
    )


def _safeguard(region: TransferRegion, recipient: RecipientEntry) -> str | None:
    """The first safeguard of the recipient that the exporting region recognizes (its rules' order)."""
    return next((safeguard for safeguard in region.safeguards if safeguard in recipient.safeguards), None)
