"""A token for services: the subject's state (consents), signed (tokens), with the ad-tech strings the caller asks
for (frameworks): the GPP string of that state and the TC string of the subject's last banner choice."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.frameworks import checks as frameworks
from consent_service.generations.service import Snapshot
from consent_service.regimes.service import RegimeRules
from consent_service.signing_keys.keystore import KeyStore
from consent_service.tokens import service as tokens


def issue_service_token(
    *,
    session: Session,
    keystore: KeyStore,
    rules: RegimeRules,
    issuer: str,
    kind: str,
    external_id: str,
    ttl_seconds: int,
    now: datetime,
    country: str | None = None,
    region: str | None = None,
    snapshot: Snapshot | None = None,
    pepper: str | None = None,
    signals: Set[str] = frozenset(),
) -> tokens.IssuedToken:
    """The subject's token; with `signals` ("gpp", "tcf") it carries `gpp` and `gpp_sid`, and `tcf` when a banner
    choice recorded a TC string. The GPP string's Gpc field is false: a service's request carries no signal."""
    state = None
    extra: dict[str, Any] = {}
    if signals:
        state = consents.read_state(
            session=session,
            kind=kind,
            external_id=external_id,
            rules=rules,
            now=now,
            country=country,
            region=region,
            snapshot=snapshot,
            pepper=pepper,
        )
        tc_string = consents.latest_banner_evidence(
            session=session, kind=kind, external_id=external_id, key="tc_string"
        )
        if "tcf" in signals and tc_string is not None:
            extra["tcf"] = tc_string
        if "gpp" in signals:
            signal = frameworks.gpp_signal(
                rules=rules,
                jurisdiction=state.jurisdiction,
                allowed=state.allows,
                gpc=False,
                tc_string=tc_string,
            )
            extra["gpp"] = signal.string
            extra["gpp_sid"] = signal.applicable_sections
    return tokens.issue_token(
        session=session,
        keystore=keystore,
        rules=rules,
        issuer=issuer,
        kind=kind,
        external_id=external_id,
        ttl_seconds=ttl_seconds,
        now=now,
        country=country,
        region=region,
        snapshot=snapshot,
        pepper=pepper,
        state=state,
        extra_claims=extra,
    )
