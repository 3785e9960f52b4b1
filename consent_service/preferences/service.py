"""Marketing preferences: signed links, the page's choices, saving them, one-click unsubscribe, double opt-in."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.consents.state import PurposeState
from consent_service.csrf import FormTokens
from consent_service.errors import Conflict, Forbidden, ValidationFailed
from consent_service.preferences.links import LinkError, LinkInvalid, LinkKind, LinkSigner, SignedLink
from consent_service.purposes import service as purposes
from consent_service.purposes.models import Purpose
from consent_service.regimes.service import RegimeRules
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
from consent_service.vocabulary import ActorType, Decision, Method, Reason, Regime, SubjectKind

# Where the links point; pages.py routes the same paths.
PAGE_PATH = "/preferences/"
ONE_CLICK_PATH = "/unsubscribe/"
CONFIRM_PATH = "/confirm/"
COMMUNICATION = "communication"  # the catalogue category of everything a marketing email is about
DEFAULT_UNSUBSCRIBE = ("marketing",)
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"  # RFC 8058: what the mail provider POSTs
CUSTOMER = SubjectKind.CUSTOMER.value


class NoticeVersionRequired(ValidationFailed):
    code = "notice_version_required"


class NotCommunication(ValidationFailed):
    code = "not_a_communication_purpose"


class NotPending(Conflict):
    code, message = "not_pending", "There is no pending request for this link to confirm."


class FormRejected(Forbidden):
    """The form did not come from this customer's page (CSRF), or came too late."""

    code, message = "form_rejected", "This form was not sent from the customer's own page."


class PageOutOfDate(Conflict):
    """The form shows choices older than the customer's latest: saving it would undo a later decision."""

    code, message = "page_out_of_date", "This page is out of date: the choices changed since it was shown. Reload it."


class SubjectErased(LinkError):
    """The link was issued before its customer was erased: it names someone who is no longer here."""

    status, code, message = 410, "subject_erased", "This link no longer works: its subject's data was erased."


class NotOneClick(ValidationFailed):
    status, code, message = 400, "not_one_click", f"A one-click unsubscribe sends the form body {ONE_CLICK_BODY}."


@dataclass(frozen=True)
class LinkClaims:
    """What a preference or one-click link says: whose, in which language, under which notice, about what."""

    customer_id: str
    language: str | None
    notice_version: str
    purposes: tuple[str, ...] = ()

    def as_claims(self) -> dict[str, Any]:
        # Short keys keep the URLs in emails short.
        claims: dict[str, Any] = {"c": self.customer_id, "n": self.notice_version}
        if self.language:
            claims["l"] = self.language
        if self.purposes:
            claims["p"] = list(self.purposes)
        return claims

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> LinkClaims:
        try:
            return cls(
                customer_id=_text(claims["c"]),
                language=_text(claims["l"]) if "l" in claims else None,
                notice_version=_text(claims["n"]),
                purposes=tuple(_text(p) for p in claims.get("p", ())),
            )
        except (KeyError, TypeError):
            raise LinkInvalid() from None


@dataclass(frozen=True)
class ConfirmationClaims:
    """What a double opt-in confirmation link says: which pending request of which customer."""

    customer_id: str
    purpose: str
    event_id: str
    language: str | None

    def as_claims(self) -> dict[str, Any]:
        claims = {"c": self.customer_id, "p": self.purpose, "e": self.event_id}
        return claims | ({"l": self.language} if self.language else {})

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> ConfirmationClaims:
        try:
            return cls(
                customer_id=_text(claims["c"]),
                purpose=_text(claims["p"]),
                event_id=_text(claims["e"]),
                language=_text(claims["l"]) if "l" in claims else None,
            )
        except (KeyError, TypeError):
            raise LinkInvalid() from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PreferenceLinks:
    page: IssuedLink
    one_click: IssuedLink

    @property
    def headers(self) -> dict[str, str]:
        """The exact header values an email sender puts on the message (RFC 2369, RFC 8058)."""
        return {"List-Unsubscribe": f"<{self.one_click.url}>", "List-Unsubscribe-Post": ONE_CLICK_BODY}


@dataclass(frozen=True)
class Choice:
    """One communication purpose as the page shows it."""

    purpose: Purpose
    state: PurposeState

    @property
    def key(self) -> str:
        return self.purpose.key

    @property
    def pending(self) -> bool:
        return self.state.reason is Reason.PENDING

    @property
    def on(self) -> bool:
        # A pending double opt-in is something the customer asked for: the toggle shows it on.
        return self.state.allowed or self.pending


@dataclass(frozen=True)
class PreferencePage:
    customer_id: str
    regime: str
    choices: list[Choice]  # refusable: toggles
    always_on: list[Choice]  # not refusable: shown as always on
    revision: int = 0  # the customer's revision the choices show; its form may only save on top of it


@dataclass(frozen=True)
class CustomerEvents:
    """Events to record for a customer, with their context: what a flow hands to the consent write."""

    customer_id: str
    events: list[consents.EventInput]
    context: consents.EventContext


class ConfirmationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


def communication_purposes(*, session: Session) -> list[Purpose]:
    """Every purpose a marketing email can be about; operators' own ones included."""
    return [p for p in purposes.list_purposes(session=session) if p.category == COMMUNICATION]


def make_links(
    *,
    session: Session,
    signer: LinkSigner,
    base_url: str,
    rules: RegimeRules,
    customer_id: str,
    language: str | None,
    now: datetime,
    notice_version: str | None = None,
    unsubscribe_purposes: Sequence[str] = DEFAULT_UNSUBSCRIBE,
) -> PreferenceLinks:
    """The page link and the one-click link for one customer; both stateless, signed, expiring."""
    _require_refusable_communication(session, {f"purposes.{i}": key for i, key in enumerate(unsubscribe_purposes)})
    if notice_version is None:
        state = consents.read_state(session=session, kind=CUSTOMER, external_id=customer_id, rules=rules, now=now)
        notice_version = state.notice_version
    if notice_version is None:
        raise NoticeVersionRequired(
            "This customer has no recorded decision to take a notice version from.",
            errors={"notice_version": ["Required for a customer without recorded decisions."]},
        )
    claims = LinkClaims(
        customer_id=customer_id,
        language=language,
        notice_version=notice_version,
        purposes=tuple(dict.fromkeys(unsubscribe_purposes)),
    )
    return PreferenceLinks(
        page=_issue(signer, base_url, PAGE_PATH, LinkKind.PREFERENCES, claims.as_claims()),
        one_click=_issue(signer, base_url, ONE_CLICK_PATH, LinkKind.ONE_CLICK, claims.as_claims()),
    )


def read_link(*, session: Session, signer: LinkSigner, pepper: str, kind: LinkKind, token: str) -> LinkClaims:
    """The claims of a link that may still be acted on; LinkError (nothing may happen) otherwise."""
    signed, issued_at = signer.verify_issued(kind, token)
    claims = LinkClaims.from_claims(signed)
    require_not_erased_since(session=session, pepper=pepper, customer_id=claims.customer_id, issued_at=issued_at)
    return claims


def require_not_erased_since(*, session: Session, pepper: str, customer_id: str, issued_at: datetime) -> None:
    """A link issued before its customer's latest erasure is dead (SubjectErased): it must neither show the page
    nor write a decision that would bring the identifier back. Links carry their signing time in whole seconds,
    so one signed in the second of the erasure counts as issued before it; a link issued later (to a new
    subject with the same identifier) works."""
    erased_at = subjects.suppressed_since(session=session, pepper=pepper, kind=CUSTOMER, external_id=customer_id)
    if erased_at is not None and issued_at <= erased_at:
        raise SubjectErased()


def page_link(*, signer: LinkSigner, base_url: str, claims: LinkClaims) -> IssuedLink:
    """A fresh page link for a customer a verified link has named (e.g. after a one-click unsubscribe)."""
    page_claims = LinkClaims(
        customer_id=claims.customer_id, language=claims.language, notice_version=claims.notice_version
    )
    return _issue(signer, base_url, PAGE_PATH, LinkKind.PREFERENCES, page_claims.as_claims())


# The salt of the preference forms' tokens (csrf.FormTokens): a link of any kind never passes as one.
FORM_SALT = "consent-service.preferences.csrf"


def form_token(*, tokens: FormTokens, customer_id: str, revision: int | None = None) -> str:
    """The CSRF token of one customer's page: bound to that customer and (the preference page) to the
    revision of the choices it shows."""
    return tokens.issue({"c": customer_id} if revision is None else {"c": customer_id, "r": revision})


def check_form_token(*, tokens: FormTokens, token: str | None, customer_id: str) -> int | None:
    """The revision the form was shown at (None: a form that shows no choices); FormRejected if not ours."""
    revision = tokens.verify(token, bound={"c": customer_id}).get("r")
    return revision if type(revision) is int else None


def page_for(*, session: Session, rules: RegimeRules, customer_id: str, now: datetime) -> PreferencePage:
    state = consents.read_state(session=session, kind=CUSTOMER, external_id=customer_id, rules=rules, now=now)
    shown = [Choice(purpose=p, state=state.consents[p.key]) for p in communication_purposes(session=session)]
    return PreferencePage(
        customer_id=customer_id,
        regime=state.regime,
        choices=[c for c in shown if c.purpose.refusable],
        always_on=[c for c in shown if not c.purpose.refusable],
        revision=state.revision,
    )


def choice_events(
    *,
    session: Session,
    rules: RegimeRules,
    claims: LinkClaims,
    shown: Collection[str],
    wanted: Collection[str],
    language: str,
    evidence: dict[str, str],
    now: datetime,
    shown_revision: int | None,
) -> CustomerEvents | None:
    """One preference_page event for each shown toggle the customer changed; None when nothing changed.

    Only a form shown at the customer's current revision saves (PageOutOfDate otherwise): a copy of
    an older form, sent again, would undo the decisions made since."""
    if shown_revision is None or shown_revision != _locked_revision(session, claims.customer_id):
        raise PageOutOfDate()
    page = page_for(session=session, rules=rules, customer_id=claims.customer_id, now=now)
    changes = [
        consents.EventInput(
            purpose=choice.key,
            # Switching off is the customer's answer "no" today, whatever was granted before.
            decision=Decision.GRANTED if choice.key in wanted else Decision.DENIED,
            method=Method.PREFERENCE_PAGE,
        )
        for choice in page.choices
        # Only what the form showed: a purpose added since the page was rendered is not switched off.
        if choice.key in shown and (choice.key in wanted) != choice.on
    ]
    if not changes:
        return None
    return CustomerEvents(claims.customer_id, changes, _context(claims.notice_version, page.regime, language, evidence))


def _locked_revision(session: Session, customer_id: str) -> int:
    """The customer's revision, its row locked to the end of the transaction (0: not recorded yet),
    so no other write slips between the comparison and the save."""
    revision = session.scalar(
        select(Subject.revision).where(Subject.kind == CUSTOMER, Subject.external_id == customer_id).with_for_update()
    )
    return revision or 0


def unsubscribe_events(
    *,
    session: Session,
    rules: RegimeRules,
    claims: LinkClaims,
    language: str,
    evidence: dict[str, str],
    now: datetime,
) -> CustomerEvents | None:
    """Denials of the link's purposes; None on a repeat (nothing newly denied)."""
    page = page_for(session=session, rules=rules, customer_id=claims.customer_id, now=now)
    targets = set(claims.purposes or DEFAULT_UNSUBSCRIBE)
    # Mail providers and scanners retry: a denial already recorded by one-click needs no second event.
    to_deny = [choice.key for choice in page.choices if choice.key in targets and not _unsubscribed(choice.state)]
    if not to_deny:
        return None
    events = [consents.EventInput(key, Decision.DENIED, Method.ONE_CLICK_UNSUBSCRIBE) for key in to_deny]
    return CustomerEvents(claims.customer_id, events, _context(claims.notice_version, page.regime, language, evidence))


def _unsubscribed(state: PurposeState) -> bool:
    return (
        state.source == "event"
        and state.decision is Decision.DENIED
        and state.method == Method.ONE_CLICK_UNSUBSCRIBE.value
    )


def double_opt_in_events(
    *,
    session: Session,
    rules: RegimeRules,
    customer_id: str,
    purpose: str,
    notice_version: str,
    language: str | None,
    evidence: dict[str, str],
    now: datetime,
    country: str | None = None,
    region: str | None = None,
) -> CustomerEvents:
    """A pending grant (not yet allowed) of a refusable communication purpose, under the customer's regime."""
    _require_refusable_communication(session, {"purpose": purpose})
    state = consents.read_state(
        session=session,
        kind=CUSTOMER,
        external_id=customer_id,
        rules=rules,
        now=now,
        country=country,
        region=region,
    )
    return CustomerEvents(
        customer_id,
        [consents.EventInput(purpose, Decision.GRANTED, Method.DOUBLE_OPT_IN)],
        _context(notice_version, state.regime, language, evidence, country=country, region=region),
    )


def confirmation_link(
    *, session: Session, signer: LinkSigner, base_url: str, customer_id: str, purpose: str, language: str | None
) -> IssuedLink:
    """The link that confirms the customer's current pending request for the purpose."""
    latest = _latest_event(session, customer_id, purpose)
    if latest is None or not _is_pending(latest):
        raise NotPending(f"No pending double opt-in for {purpose!r}.")
    claims = ConfirmationClaims(customer_id=customer_id, purpose=purpose, event_id=latest.id, language=language)
    return _issue(signer, base_url, CONFIRM_PATH, LinkKind.DOUBLE_OPT_IN, claims.as_claims())


def read_confirmation(*, session: Session, signer: LinkSigner, pepper: str, token: str) -> ConfirmationClaims:
    signed, issued_at = signer.verify_issued(LinkKind.DOUBLE_OPT_IN, token)
    claims = ConfirmationClaims.from_claims(signed)
    require_not_erased_since(session=session, pepper=pepper, customer_id=claims.customer_id, issued_at=issued_at)
    return claims


def confirmation_status(*, session: Session, claims: ConfirmationClaims) -> ConfirmationStatus:
    """Pending, or already confirmed by this very link; NotPending when the request was superseded."""
    return _confirmation(session, claims)[0]


def confirmation_events(
    *, session: Session, claims: ConfirmationClaims, evidence: dict[str, str]
) -> CustomerEvents | None:
    """The event that turns the pending request the link names into an allowed grant; None when this
    link confirmed it already (a repeat changes nothing), NotPending when the request was superseded."""
    status, latest = _confirmation(session, claims)
    if status is not ConfirmationStatus.PENDING:
        return None
    context = _context(
        latest.notice_version,
        latest.regime,
        claims.language or latest.language,
        # The confirmation names the request it confirms, so the ledger pairs the two steps.
        {**evidence, "reference": latest.id},
        country=latest.country,
        region=latest.region,
        from_flow=True,
    )
    event = consents.EventInput(claims.purpose, Decision.GRANTED, Method.DOUBLE_OPT_IN_CONFIRMED)
    return CustomerEvents(customer_id=claims.customer_id, events=[event], context=context)


def _confirmation(session: Session, claims: ConfirmationClaims) -> tuple[ConfirmationStatus, ConsentEvent]:
    latest = _latest_event(session, claims.customer_id, claims.purpose)
    if latest is not None and latest.id == claims.event_id and _is_pending(latest):
        return ConfirmationStatus.PENDING, latest
    if (
        latest is not None
        and latest.method == Method.DOUBLE_OPT_IN_CONFIRMED.value
        and latest.evidence.get("reference") == claims.event_id
    ):
        return ConfirmationStatus.CONFIRMED, latest
    # A newer request (perhaps to another address) or a later decision: an old link must not decide it.
    raise NotPending()


def _is_pending(event: ConsentEvent) -> bool:
    return event.decision == Decision.GRANTED.value and event.method == Method.DOUBLE_OPT_IN.value


def _latest_event(session: Session, customer_id: str, purpose: str) -> ConsentEvent | None:
    events, _ = consents.list_events(
        session=session, kind=CUSTOMER, external_id=customer_id, purpose=purpose, limit=1, cursor=None
    )
    return events[0] if events else None


def _require_refusable_communication(session: Session, given: dict[str, str]) -> None:
    """`given` maps each field path to a purpose key, as purposes.require_known takes it."""
    catalogue = purposes.catalogue(session=session)
    purposes.require_known(catalogue, given)
    wrong = {
        field: ["Not a refusable communication purpose."]
        for field, key in given.items()
        if catalogue[key].category != COMMUNICATION or not catalogue[key].refusable
    }
    if wrong:
        raise NotCommunication(
            "Only refusable communication purposes can be subscribed to or unsubscribed from.", errors=wrong
        )


def _context(
    notice_version: str,
    regime: str,
    language: str | None,
    evidence: dict[str, str],
    *,
    country: str | None = None,
    region: str | None = None,
    from_flow: bool = False,
) -> consents.EventContext:
    return consents.EventContext(
        notice_version=notice_version,
        country=country,
        region=region,
        # The customer's own regime: a page visit must not move them to the default one.
        regime=Regime(regime),
        language=language,
        actor_type=ActorType.SUBJECT,
        evidence=evidence,
        # Only the confirmation of a pending request writes the method kept to this flow.
        from_flow=from_flow,
    )


def _issue(signer: LinkSigner, base_url: str, path: str, kind: LinkKind, claims: dict[str, Any]) -> IssuedLink:
    signed: SignedLink = signer.sign(kind, claims)
    return IssuedLink(url=f"{base_url.rstrip('/')}{path}{signed.token}", expires_at=signed.expires_at)
