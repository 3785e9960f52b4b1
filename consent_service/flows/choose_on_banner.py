"""A visitor's choice on the banner: its consent events (banner), with the TC string of the banner's TCF layer as
their evidence (frameworks), and their cookie token (tokens), written together by the consent write
(flows/record_consent.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.banner import service as banner
from consent_service.banner.versions import VersionLedger
from consent_service.consents import service as consents
from consent_service.consents.store import CompanionRows
from consent_service.flows.record_consent import record_consent
from consent_service.frameworks import choice as frameworks
from consent_service.generations.service import Snapshot
from consent_service.properties.service import PropertyEntry
from consent_service.regimes.service import RegimeRules
from consent_service.signing_keys.keystore import KeyStore
from consent_service.tokens import service as tokens
from consent_service.vocabulary import SubjectKind


def choose_on_banner(
    *,
    session: Session,
    prop: PropertyEntry,
    choice: banner.Choice,
    rules: RegimeRules,
    keystore: KeyStore,
    issuer: str,
    max_ttl_seconds: int,
    now: datetime,
    versions: VersionLedger,
    snapshot: Snapshot | None = None,
    optimistic: bool = False,
) -> banner.ChoiceResult:
    """Write the visitor's choice as events on the banner they saw, and issue their cookie token, whose
    row is written with the events. `optimistic`: under flows.record_consent.outside_transaction."""
    prepared = banner.prepare_choice(
        session=session,
        prop=prop,
        choice=choice,
        rules=rules,
        keystore=keystore,
        issuer=issuer,
        now=now,
        versions=versions,
        snapshot=snapshot,
    )
    tc_string = frameworks.accepted_tc_string(value=choice.tc_string, shown=prepared.banner, method=choice.method)
    if tc_string is not None:
        # Evidence of what the TCF layer recorded; erasure keeps it (it names no one).
        context = prepared.context
        prepared = dataclasses.replace(
            prepared, context=dataclasses.replace(context, evidence=context.evidence | {"tc_string": tc_string})
        )
    issued: list[tokens.IssuedToken] = []

    def token_for(state: consents.SubjectState) -> list[CompanionRows]:
        issued[:] = [
            banner.choice_token(
                session=session,
                prop=prop,
                prepared=prepared,
                state=state,
                gpc=choice.gpc,
                rules=rules,
                keystore=keystore,
                issuer=issuer,
                max_ttl_seconds=max_ttl_seconds,
                now=now,
                extra_claims=frameworks.token_claims(
                    shown=prepared.banner,
                    tc_string=tc_string,
                    allowed=state.allows,
                    gpc=choice.gpc and prop.gpc_honoured,
                ),
            )
        ]
        record = issued[0].record
        assert record is not None  # the state of a recorded choice has its subject's key, so the token a row
        return [CompanionRows(tokens.ISSUED_TOKENS, [record])]

    state = record_consent(
        session=session,
        kind=SubjectKind.VISITOR.value,
        external_id=prepared.visitor_id,
        events=prepared.events,
        context=prepared.context,
        rules=rules,
        now=now,
        snapshot=snapshot,
        new_subject=prepared.new_visitor,
        optimistic=optimistic,
        written_with=token_for,
    )
    return banner.ChoiceResult(
        visitor_id=prepared.visitor_id, token=issued[0], decisions={key: state.consents[key] for key in prepared.shown}
    )
