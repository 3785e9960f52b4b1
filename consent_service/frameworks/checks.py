"""What a check adds for the frameworks it asks about: the GPP string of its answer, the subject's recorded TC
string, and whether that TC string lets a TCF vendor process data for the TCF purposes named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents.models import ConsentEvent
from consent_service.frameworks import gpp, tcstring
from consent_service.regimes.service import RegimeRules, split_jurisdiction
from consent_service.subjects.models import Subject
from consent_service.vocabulary import BANNER_METHODS

# How far back in a subject's ledger a check looks for the last TC string: a banner choice writes one event per
# purpose shown, so this covers the last few choices; an older TCF record is no answer for today.
TC_STRING_LOOKBACK_EVENTS = 64


@dataclass(frozen=True)
class TcfQuestion:
    """May TCF vendor `vendor` process data: by consent for `purposes`, by legitimate interest for
    `legitimate_interest_purposes`, with the special features `special_features` (TCF purpose and feature ids)."""

    vendor: int
    purposes: tuple[int, ...] = ()
    legitimate_interest_purposes: tuple[int, ...] = ()
    special_features: tuple[int, ...] = ()


@dataclass(frozen=True)
class TcfAnswer:
    allowed: bool
    # granted | no_tc_string | one of tcstring.Refusal's reasons
    reason: str
    vendor: int
    # The TCF ids the reason is about (the purpose not consented, ...): empty when allowed.
    ids: tuple[int, ...] = ()


def tcf_answer(tc: tcstring.TCString | None, question: TcfQuestion) -> TcfAnswer:
    """The TC string's answer, failing closed: no TC string is a refusal, as is any condition it does not meet."""
    if tc is None:
        return TcfAnswer(allowed=False, reason="no_tc_string", vendor=question.vendor)
    refusal = tcstring.vendor_refusal(
        tc,
        vendor=question.vendor,
        purposes=question.purposes,
        legitimate_interest_purposes=question.legitimate_interest_purposes,
        special_features=question.special_features,
    )
    if refusal is None:
        return TcfAnswer(allowed=True, reason="granted", vendor=question.vendor)
    return TcfAnswer(allowed=False, reason=refusal.reason, vendor=question.vendor, ids=refusal.ids)


def latest_tc_string(*, session: Session, kind: str, external_id: str) -> str | None:
    """The TC string of the subject's last banner choice that recorded one, if among its recent events."""
    evidence = session.scalars(
        select(ConsentEvent.evidence)
        .join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(
            Subject.kind == kind,
            Subject.external_id == external_id,
            ConsentEvent.method.in_(BANNER_METHODS),
        )
        .order_by(ConsentEvent.revision.desc())
        .limit(TC_STRING_LOOKBACK_EVENTS)
    )
    for recorded in evidence:
        if recorded and recorded.get("tc_string"):
            return str(recorded["tc_string"])
    return None


def decoded(value: str | None) -> tcstring.TCString | None:
    """A stored TC string, decoded; one that no longer decodes answers as none (fail closed)."""
    if value is None:
        return None
    try:
        return tcstring.decode(value)
    except tcstring.TCStringError:
        return None


def gpp_purposes(*, rules: RegimeRules) -> frozenset[str]:
    """The purposes whose decisions a GPP string reads, in any section (the rules' GPP opt-outs)."""
    return frozenset(rules.gpp.opt_outs.values()) if rules.gpp is not None else frozenset()


def gpp_signal(
    *,
    rules: RegimeRules,
    jurisdiction: str | None,
    allowed: Callable[[str], bool],
    gpc: bool,
    tc_string: str | None,
) -> gpp.GPPSignal:
    country, region = split_jurisdiction(jurisdiction)
    return gpp.signal(country=country, region=region, rules=rules, allowed=allowed, gpc=gpc, tc_string=tc_string)
