"""The banner: its configuration for a visitor, and recording the visitor's choice."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.banner.versions import ShownBanner, VersionLedger
from consent_service.consents import service as consents
from consent_service.consents.state import Circumstances, PurposeState, default_decision
from consent_service.errors import Forbidden, ValidationFailed
from consent_service.frameworks.banner_config import FrameworkSources, frameworks_block
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.properties.service import PropertyEntry, UnknownProperty
from consent_service.purposes.service import CataloguePurpose
from consent_service.regimes.service import RegimePolicy, RegimeRules
from consent_service.scanner import service as scanner
from consent_service.scanner.service import DeclarationEntry
from consent_service.signing_keys.keystore import KeyStore
from consent_service.texts import banner as texts
from consent_service.tokens import service as tokens
from consent_service.vocabulary import ActorType, Decision, Method, Regime, SubjectKind

COOKIE_NAME = "consent_token"


class ChoiceContradictsMethod(ValidationFailed):
    code = "choice_contradicts_method"


class UnknownBannerVersion(ValidationFailed):
    code = "unknown_banner_version"


class BannerRegimeNotApplicable(ValidationFailed):
    code = "banner_regime_not_applicable"
    message = "This banner was shown under a less protective regime than the one that applies to this visitor."


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    message = "This origin is not allowed for this property."


@dataclass(frozen=True)
class BannerConfig:
    version: str
    language: str
    regime: Regime
    content: dict[str, Any]

    def as_response(self) -> dict[str, Any]:
        return {**self.content, "banner_version": self.version}


@dataclass(frozen=True)
class Choice:
    choices: Mapping[str, bool]
    method: Method
    notice_version: str
    banner_version: str
    token: str | None
    gpc: bool
    country: str | None
    evidence: dict[str, str]
    # The regime the server applies to this visitor now (visitor_regime), never one the client names.
    regime: Regime
    # The ISO 3166-2 region of the CDN's header, if any: its rules weigh the choice where the banner's regime is its.
    region: str | None = None
    # The TC string the banner's TCF layer encoded (frameworks/choice.py holds it to the banner shown).
    tc_string: str | None = None


@dataclass(frozen=True)
class ChoiceResult:
    visitor_id: str
    token: tokens.IssuedToken
    decisions: dict[str, PurposeState]


def admitted_property(
    *, session: Session, snapshot: Snapshot, publishable_key: str, origin: str | None
) -> PropertyEntry:
    """The property with this publishable key, from `snapshot`; a browser's Origin (None when the
    caller is not a browser page) must be one of the property's own.

    Refused only once the snapshot is confirmed current (StaleSnapshot otherwise): a property
    created, or an origin added, by another process since the snapshot was taken is honoured."""
    prop = snapshot.properties.get(publishable_key)
    if prop is not None and (origin is None or origin in prop.allowed_origins):
        return prop
    snapshot.confirm(generations.current_generation(session=session))
    if prop is None:
        raise UnknownProperty()
    raise OriginNotAllowed()


def build_config(
    *,
    catalogue: Mapping[str, CataloguePurpose],
    prop: PropertyEntry,
    language: str,
    regime: Regime,
    rules: RegimeRules,
    policy: RegimePolicy | None = None,
    declarations: Sequence[DeclarationEntry] = (),
    frameworks: FrameworkSources | None = None,
    jurisdiction: str | None = None,
) -> BannerConfig:
    """Exactly what the visitor is shown; its hash is the banner version the choice refers to. `policy`:
    the visitor's jurisdiction's (a subdivision's GPC purposes), of this regime; the regime's if not given.
    `declarations`: the property's declared cookies, listed under the purposes shown (the settings view).
    `frameworks`: what the frameworks block is made of, needed when the property enables any (only then is
    there a block, so a property without frameworks keeps its banner version). `jurisdiction`: the visitor's
    place (RegimeRules.jurisdiction), whose GPP sections the block names."""
    localized = texts.resolve(language, prop.texts)
    policy = policy or rules.policy(regime)
    circumstances = Circumstances(regime=regime.value, policy=policy)
    shown = []
    for key in prop.purposes:
        purpose = catalogue[key]
        default_granted = default_decision(purpose, circumstances)[0] is Decision.GRANTED
        shown.append(
            {
                **localized["purposes"].get(key, {"name": purpose.name, "description": purpose.description}),
                "key": key,
                "refusable": purpose.refusable,
                # Nothing is pre-ticked where consent must be opted into.
                "preselected": not purpose.refusable or (regime is Regime.OPT_OUT and default_granted),
            }
        )
    content = {
        "property": {"key": prop.publishable_key, "name": prop.name},
        "language": language,
        "regime": regime.value,
        "notice": {"version": prop.notice_version, "url": prop.notice_url},
        # What a GPC signal turns off here (the rules file's, for this regime, of the purposes shown), and
        # whether the banner honours it: then it says "Opt-out request honored" (CCPA Regs. 7025(c)(6)).
        **_gpc_config(prop, policy),
        "cookie": {"name": COOKIE_NAME, "domain": prop.cookie_domain},
        "texts": localized["ui"],
        "purposes": shown,
    }
    declared = scanner.by_purpose(declarations, language, prop.purposes)
    if declared:
        # Only when there are some: a banner whose purposes declare no cookie carries no empty list.
        content["declarations"] = declared
    if prop.frameworks:
        if frameworks is None:
            raise ValueError(f"property {prop.id} enables frameworks: build_config needs their sources")
        content["frameworks"] = frameworks_block(
            enabled=prop.frameworks,
            tcf_vendors=prop.tcf_vendors,
            language=language,
            sources=frameworks,
            property_key=prop.publishable_key,
            rules=rules,
            jurisdiction=jurisdiction,
        )
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return BannerConfig(version=version, language=language, regime=regime, content=content)


def _gpc_config(prop: PropertyEntry, policy: RegimePolicy) -> dict[str, Any]:
    purposes = sorted(key for key in prop.purposes if key in policy.gpc_purposes)
    return {"gpc_honoured": prop.gpc_honoured and bool(purposes), "gpc_purposes": purposes}


@dataclass(frozen=True)
class PreparedChoice:
    """A visitor's choice made into the consent events it records, before anything is written."""

    visitor_id: str
    # A new visitor: its identifier was just made up (no previous token kept one).
    new_visitor: bool
    events: list[consents.EventInput]
    context: consents.EventContext
    # The purposes decided: the token's lifetime follows whether they are all allowed now.
    decided: frozenset[str]
    # The purposes the banner showed, in its order: the answer's decisions.
    shown: tuple[str, ...]
    # The config of the banner the choice was made on, as served (what its frameworks offered).
    banner: Mapping[str, Any]


def prepare_choice(
    *,
    session: Session,
    prop: PropertyEntry,
    choice: Choice,
    rules: RegimeRules,
    keystore: KeyStore,
    issuer: str,
    now: datetime,
    versions: VersionLedger,
    snapshot: Snapshot | None = None,
) -> PreparedChoice:
    """The events a choice records on the banner the visitor saw; refused, nothing written, when the
    banner, its regime or the choice's method do not allow them."""
    shown = _shown_banner(session, versions, prop, choice)
    _require_applicable_regime(rules, shown, choice)
    refusable = [p["key"] for p in shown.content["purposes"] if p["refusable"]]
    unknown = {
        f"choices.{key}": ["Not a refusable purpose of this banner."] for key in choice.choices if key not in refusable
    }
    if unknown:
        raise ValidationFailed("Choices name purposes this banner did not show.", errors=unknown)
    decisions = {key: bool(choice.choices.get(key, False)) for key in refusable}
    policy = _choice_policy(rules, shown, choice)
    # The signal is honoured for the purposes the rules give it, unless the way of choosing outranks it
    # (rules: gpc.outranked_by; never "accept all"), as the checks weigh it afterwards.
    signal = choice.gpc and prop.gpc_honoured and not policy.gpc_outranked_by.outranks(ActorType.SUBJECT, choice.method)
    gpc_purposes = policy.gpc_purposes if signal else frozenset()
    _require_consistent(choice.method, decisions, gpc_purposes)
    # What this way of choosing cannot grant under the rules is not recorded as granted, nor as refused.
    decisions = {
        key: granted
        for key, granted in decisions.items()
        if not granted or policy.counts_as_consent(key, choice.method)
    }
    if not decisions:
        raise ValidationFailed(
            "Nothing this banner can record.",
            errors={"choices": [f"{choice.method.value} cannot grant these purposes here; choose them one by one."]},
        )
    # "Accept all" does not override a GPC signal: those purposes are recorded as refused by the signal.
    gpc_refused = [] if choice.method is Method.BANNER_REJECT_ALL else [key for key in decisions if key in gpc_purposes]

    returning = _returning_visitor(session, keystore, issuer, prop, choice.token, now, snapshot)
    return PreparedChoice(
        visitor_id=returning or _new_visitor_id(now),
        new_visitor=returning is None,
        events=[
            consents.EventInput(
                purpose=key,
                decision=Decision.GRANTED if granted and key not in gpc_refused else Decision.DENIED,
                method=Method.GPC if key in gpc_refused else choice.method,
            )
            for key, granted in decisions.items()
        ],
        context=consents.EventContext(
            notice_version=shown.notice_version,
            country=choice.country,
            region=choice.region,
            regime=Regime(shown.regime),
            property_key=prop.publishable_key,
            language=shown.language,
            banner_version=shown.hash,
            evidence=choice.evidence | ({"gpc": "1"} if choice.gpc else {}),
        ),
        decided=frozenset(decisions),
        shown=tuple(p["key"] for p in shown.content["purposes"]),
        banner=shown.content,
    )


def choice_token(
    *,
    session: Session,
    prop: PropertyEntry,
    prepared: PreparedChoice,
    state: consents.SubjectState,
    gpc: bool,
    rules: RegimeRules,
    keystore: KeyStore,
    issuer: str,
    max_ttl_seconds: int,
    now: datetime,
    extra_claims: Mapping[str, Any] | None = None,
) -> tokens.IssuedToken:
    """The visitor's cookie token on the state its choice makes, not yet recorded (its row is written
    with the events); it lives as long as the property keeps an acceptance, or a refusal. `extra_claims`:
    what the banner's frameworks add (frameworks/choice.py)."""
    allowed = all(s.allowed for k, s in state.consents.items() if k in prepared.decided)
    lifetime_days = prop.accept_lifetime_days if allowed else prop.reject_lifetime_days
    return tokens.issue_token(
        session=session,
        keystore=keystore,
        rules=rules,
        issuer=issuer,
        kind=SubjectKind.VISITOR.value,
        external_id=prepared.visitor_id,
        ttl_seconds=min(lifetime_days * 86400, max_ttl_seconds),
        now=now,
        property_key=prop.publishable_key,
        gpc=gpc,
        state=state,
        issued_for=tokens.ISSUED_FOR_BANNER,
        record=False,
        extra_claims=extra_claims,
    )


def _choice_policy(rules: RegimeRules, shown: ShownBanner, choice: Choice) -> RegimePolicy:
    """The policy a choice is weighed by: the visitor's jurisdiction's (its GPC purposes), when the banner
    was shown under its regime; otherwise the shown regime's, as the events are recorded under it."""
    policy = rules.policy_for(rules.jurisdiction(choice.country, choice.region))
    return policy if policy.regime.value == shown.regime else rules.policy(shown.regime)


def _require_consistent(method: Method, decisions: Mapping[str, bool], gpc_purposes: frozenset[str]) -> None:
    """A choice whose method says the opposite of its choices is refused, nothing written: "reject all"
    with a purpose granted, "accept all" with one refused (but the purposes an honoured GPC signal
    turns off, which the banner sends unticked)."""
    if method is Method.BANNER_REJECT_ALL:
        wrong = {
            f"choices.{key}": ["Reject all refuses every purpose: false."]
            for key, granted in decisions.items()
            if granted
        }
    elif method is Method.BANNER_ACCEPT_ALL:
        wrong = {
            f"choices.{key}": ["Accept all grants every purpose shown: true."]
            for key, granted in decisions.items()
            if not granted and key not in gpc_purposes
        }
    else:
        return
    if wrong:
        raise ChoiceContradictsMethod(f"The choices contradict {method.value}.", errors=wrong)


def _shown_banner(session: Session, versions: VersionLedger, prop: PropertyEntry, choice: Choice) -> ShownBanner:
    shown = versions.shown(session=session, version=choice.banner_version)
    if shown is None or shown.property_id != prop.id:
        raise UnknownBannerVersion(
            "This banner version was never served for this property.",
            errors={"banner_version": ["Send the banner_version of the configuration that was shown."]},
        )
    if shown.notice_version != choice.notice_version:
        raise ValidationFailed(
            "The notice version is not the one this banner showed.",
            errors={"notice_version": [f"This banner showed notice version {shown.notice_version}."]},
        )
    return shown


def _require_applicable_regime(rules: RegimeRules, shown: ShownBanner, choice: Choice) -> None:
    """The choice is recorded under the regime of the banner shown, which must be at least as protective as the
    one the server applies now: a banner with boxes pre-ticked under opt-out never records an opt-in grant."""
    applies = choice.regime
    if not rules.at_least_as_protective(Regime(shown.regime), applies):
        raise BannerRegimeNotApplicable(
            errors={
                "banner_version": [f"This visitor's regime is {applies.value}: fetch the banner again and show it."]
            }
        )


def _returning_visitor(
    session: Session,
    keystore: KeyStore,
    issuer: str,
    prop: PropertyEntry,
    token: str | None,
    now: datetime,
    snapshot: Snapshot | None,
) -> str | None:
    """The visitor id proven by a previous token of this property; None starts a new visitor.
    The signing key comes from the snapshot, which the visitor's lock confirms."""
    if not token:
        return None
    try:
        claims = tokens.verify_token(
            session=session, keystore=keystore, issuer=issuer, token=token, now=now, snapshot=snapshot
        )
    except tokens.TokenRejected:
        return None
    kind, _, visitor_id = str(claims.get("sub", "")).partition(":")
    if kind != SubjectKind.VISITOR.value or not visitor_id or claims.get("prp") != prop.publishable_key:
        return None
    return visitor_id


def _new_visitor_id(now: datetime) -> str:
    """128 random bits after the time in milliseconds: every new visitor's row lands at the right edge
    of the subjects' (kind, external_id) index, not on a random page of an index of millions (a read
    and a full-page WAL image per insert once it outgrew memory). The time is the first choice's, which
    the visitor's token carries anyway."""
    return f"v_{int(now.timestamp() * 1000):012x}{secrets.token_urlsafe(16)}"
