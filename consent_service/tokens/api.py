"""HTTP endpoints of tokens: issue one for a subject, publish the public keys."""

from __future__ import annotations

from typing import Any

from consent_service.apikeys.auth import current_snapshot, require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.flows.issue_service_token import issue_service_token
from consent_service.runtime import runtime
from consent_service.signing_keys.keystore import jwk
from consent_service.strict_json import Blueprint
from consent_service.subjects.schemas import SUBJECT_PATH
from consent_service.tokens import service as tokens
from consent_service.tokens.schemas import JwksSchema, TokenRequestSchema, TokenSchema
from consent_service.vocabulary import Scope

blp = Blueprint("tokens", __name__, description="Signed consent tokens and the keys to verify them.")

JWKS_MAX_AGE_SECONDS = 300


@blp.route(f"/v1{SUBJECT_PATH}/tokens", methods=["POST"])
@require_scope(blp, Scope.TOKENS_ISSUE, confirms_generation=True)
@blp.arguments(TokenRequestSchema, required=False)
@blp.response(201, TokenSchema)
def issue(body: dict[str, Any], kind: str, subject_id: str) -> dict[str, object]:
    """A signed snapshot of the subject's effective decisions, for services to verify offline."""
    settings = runtime().settings
    issued = issue_service_token(
        session=db.session(),
        keystore=runtime().keystore,
        rules=runtime().rules,
        issuer=settings.token_issuer,
        kind=kind,
        external_id=subject_id,
        ttl_seconds=tokens.clamp_ttl(
            body.get("ttl_seconds"), default=settings.token_ttl_seconds, maximum=settings.token_max_ttl_seconds
        ),
        now=now(),
        country=body.get("country"),
        region=body.get("region"),
        snapshot=current_snapshot(),
        pepper=settings.erasure_pepper,
        signals=frozenset(body.get("signals", ())),
    )
    db.session.commit()  # the first token ever issued creates the first signing key
    return {"token": issued.token, "expires_at": issued.expires_at}


@blp.route("/.well-known/jwks.json")
@blp.response(200, JwksSchema)
def jwks() -> tuple[dict[str, object], int, dict[str, str]]:
    """The public keys of every token that may still be valid (Ed25519, `kid`, `use: sig`).

    Readable from any page (the banner fetches it once when its stored token names a kid its
    configuration did not list, i.e. after a rotation): public keys, no credentials, so `*`."""
    keys = runtime().keystore.published(session=db.session(), now=now())
    return (
        {"keys": [jwk(key) for key in keys]},
        200,
        {
            "Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}",
            "Access-Control-Allow-Origin": "*",
        },
    )
