"""HTTP endpoints for email senders: preference links for a customer, and double opt-in requests."""

from __future__ import annotations

from typing import Any

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.consents import evidence
from consent_service.extensions import db
from consent_service.flows.request_double_opt_in import request_double_opt_in
from consent_service.preferences import service as preferences
from consent_service.preferences.schemas import (
    DoubleOptInRequestSchema,
    DoubleOptInSchema,
    PreferenceLinkRequestSchema,
    PreferenceLinksSchema,
)
from consent_service.runtime import app_signer, runtime
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint(
    "preferences",
    __name__,
    url_prefix="/v1",
    description="Signed links for marketing emails: the preference page, one-click unsubscribe, double opt-in.",
)


@blp.route("/preference-links", methods=["POST"])
@require_scope(blp, Scope.CONSENTS_WRITE)
@blp.arguments(PreferenceLinkRequestSchema)
@blp.response(200, PreferenceLinksSchema)
def preference_links(body: dict[str, Any]) -> dict[str, object]:
    """A signed link to the customer's preference page, a one-click unsubscribe URL, and the email headers."""
    links = preferences.make_links(
        session=db.session(),
        signer=app_signer(),
        base_url=runtime().settings.token_issuer,
        rules=runtime().rules,
        customer_id=body["customer_id"],
        language=body.get("language"),
        notice_version=body.get("notice_version"),
        unsubscribe_purposes=body["purposes"],
        now=now(),
    )
    return {
        "url": links.page.url,
        "expires_at": links.page.expires_at,
        "one_click_url": links.one_click.url,
        "one_click_expires_at": links.one_click.expires_at,
        "headers": links.headers,
    }


@blp.route("/subjects/customer/<subject_id:subject_id>/double-opt-in", methods=["POST"])
@require_scope(blp, Scope.CONSENTS_WRITE)
@blp.arguments(DoubleOptInRequestSchema)
@blp.response(201, DoubleOptInSchema)
def double_opt_in(body: dict[str, Any], subject_id: str) -> tuple[dict[str, object], int]:
    """Record a pending grant (not allowed until confirmed) and return the confirmation link to email."""
    state, link = request_double_opt_in(
        session=db.session(),
        rules=runtime().rules,
        signer=app_signer(),
        base_url=runtime().settings.token_issuer,
        customer_id=subject_id,
        purpose=body["purpose"],
        notice_version=body["notice_version"],
        language=body.get("language"),
        country=body.get("country"),
        region=body.get("region"),
        evidence=evidence.minimize(**body.get("evidence", {})),
        now=now(),
    )
    return {"confirmation_url": link.url, "expires_at": link.expires_at, "state": state}, 201
