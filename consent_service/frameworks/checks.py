"""What a check adds for the frameworks it asks about: the GPP string of its answer, and whether the subject's
recorded TC string lets a TCF vendor process data for the TCF purposes named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consent_service.frameworks import gpp, tcstring
from consent_service.regimes.service import RegimeRules, split_jurisdiction


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
