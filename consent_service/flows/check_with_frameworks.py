"""A check that also asks for the ad-tech frameworks' view of the subject: the consents' answer (consents), then the
GPP string of that answer, the subject's recorded TC string and a TCF vendor's answer from it (frameworks)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.frameworks import checks as frameworks
from consent_service.generations.service import Snapshot
from consent_service.regimes.service import RegimeRules


@dataclass(frozen=True)
class FrameworkAsk:
    """What a check asks of the frameworks: the strings named in `signals` ("gpp", "tcf"), a TCF vendor's answer."""

    signals: frozenset[str] = frozenset()
    tcf: frameworks.TcfQuestion | None = None

    def __bool__(self) -> bool:
        return bool(self.signals) or self.tcf is not None


@dataclass(frozen=True)
class FrameworkAnswer:
    result: consents.CheckResult
    # "signals" ({"gpp": {...}, "tcf": {...}}) and "tcf" (the vendor's answer), as asked.
    extras: dict[str, Any]


def check_with_frameworks(
    *,
    session: Session,
    requests: Sequence[consents.CheckRequest],
    asks: Sequence[FrameworkAsk],
    rules: RegimeRules,
    now: datetime,
    field_prefix: str | None = None,
    pepper: str | None = None,
    snapshot: Snapshot | None = None,
) -> list[FrameworkAnswer]:
    """The checks' answers with what each asks of the frameworks. A GPP string reads the decisions of the
    purposes its opt-outs follow, checked with the asked ones and left out of the answer unless asked; a TCF
    vendor's answer joins `allowed` (allowed only if the purposes and the vendor are)."""
    gpp_reads = frameworks.gpp_purposes(rules=rules)
    widened = [
        dataclasses.replace(request, purposes=[*request.purposes, *sorted(gpp_reads - set(request.purposes))])
        if "gpp" in ask.signals
        else request
        for request, ask in zip(requests, asks, strict=True)
    ]
    results = consents.check_many(
        session=session,
        requests=widened,
        rules=rules,
        now=now,
        field_prefix=field_prefix,
        pepper=pepper,
        snapshot=snapshot,
    )
    return [
        _answer(session, rules, request, ask, result)
        for request, ask, result in zip(requests, asks, results, strict=True)
    ]


def _answer(
    session: Session,
    rules: RegimeRules,
    request: consents.CheckRequest,
    ask: FrameworkAsk,
    result: consents.CheckResult,
) -> FrameworkAnswer:
    read = result.decisions
    asked = {key: read[key] for key in request.purposes}
    extras: dict[str, Any] = {}
    needs_tc = "tcf" in ask.signals or "gpp" in ask.signals or ask.tcf is not None
    tc_string = (
        consents.latest_banner_evidence(
            session=session, kind=request.kind, external_id=request.external_id, key="tc_string"
        )
        if needs_tc
        else None
    )
    signals: dict[str, Any] = {}
    if "gpp" in ask.signals:
        signal = frameworks.gpp_signal(
            rules=rules,
            jurisdiction=result.jurisdiction,
            allowed=lambda key: read[key].allowed,
            gpc=request.gpc,
            tc_string=tc_string,
        )
        signals["gpp"] = {"string": signal.string, "applicable_sections": signal.applicable_sections}
    if "tcf" in ask.signals:
        signals["tcf"] = {"tc_string": tc_string}
    if signals:
        extras["signals"] = signals
    allowed = all(decision.allowed for decision in asked.values())
    if ask.tcf is not None:
        vendor = frameworks.tcf_answer(frameworks.decoded(tc_string), ask.tcf)
        extras["tcf"] = {"vendor": vendor.vendor, "allowed": vendor.allowed, "reason": vendor.reason}
        if vendor.ids:
            extras["tcf"]["ids"] = list(vendor.ids)
        allowed = allowed and vendor.allowed
    return FrameworkAnswer(result=dataclasses.replace(result, allowed=allowed, decisions=asked), extras=extras)
