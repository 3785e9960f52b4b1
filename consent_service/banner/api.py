"""The public banner endpoints: publishable key, CORS only for the property's own origins."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from werkzeug.wrappers import Response

from consent_service import localized_texts
from consent_service.banner import service as banner
from consent_service.banner import verification
from consent_service.banner.schemas import (
    BannerConfigSchema,
    BannerQuerySchema,
    ChoiceInSchema,
    ChoiceOutSchema,
    VerifyInSchema,
    VerifyOutSchema,
)
from consent_service.clock import now
from consent_service.consents import evidence
from consent_service.extensions import db
from consent_service.flows.choose_on_banner import choose_on_banner
from consent_service.flows.record_consent import outside_transaction
from consent_service.frameworks.banner_config import framework_sources
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.openapi import ErrorSchema
from consent_service.properties.service import PropertyEntry
from consent_service.regimes.request_country import place_from_cdn, visitor_jurisdiction, visitor_regime
from consent_service.regimes.subdivisions import place
from consent_service.runtime import runtime
from consent_service.scanner import service as scanner
from consent_service.scanner.schemas import PublicDeclarationQuerySchema, PublicDeclarationSchema
from consent_service.strict_json import Blueprint
from consent_service.texts import banner as texts
from consent_service.vocabulary import Method

blp = Blueprint(
    "banner", __name__, url_prefix="/v1/banner", description="The banner's configuration and choices (publishable key)."
)

CONFIG_MAX_AGE_SECONDS = 300
PREFLIGHT_MAX_AGE_SECONDS = 600
PROPERTY_KEY = "<string(maxlength=64):property_key>"
# Instances, not classes: webargs builds a schema per request from a class, and the choice is a hot path.
BANNER_QUERY, CHOICE_IN = BannerQuerySchema(), ChoiceInSchema()
BANNER_CONFIG, CHOICE_OUT = BannerConfigSchema(), ChoiceOutSchema()
DECLARATION_QUERY = PublicDeclarationQuerySchema()


@blp.before_request
def _resolve_property():
    """Every banner request names a property; a browser's Origin must be one of its own.

    Properties come from the process's snapshot. The choice's write confirms the snapshot with
    the visitor's lock (and the view admits again with the snapshot it writes with); the other
    requests confirm it here with one small read."""
    confirm = not (request.endpoint == "banner.choose" and request.method == "POST")

    def admit(snapshot: Snapshot) -> tuple[Snapshot, PropertyEntry]:
        if confirm:
            snapshot.confirm(generations.current_generation(session=db.session()))
        return snapshot, _admitted(snapshot)

    g.banner_snapshot, g.banner_property = runtime().snapshots.run(session=db.session(), work=admit)


def _admitted(snapshot: Snapshot) -> PropertyEntry:
    """The path's property in `snapshot`, if the Origin is allowed; only then are CORS headers sent."""
    g.cors_origin = None
    origin = request.headers.get("Origin")
    prop = banner.admitted_property(
        session=db.session(),
        snapshot=snapshot,
        publishable_key=(request.view_args or {})["property_key"],
        origin=origin,
    )
    g.cors_origin = origin
    return prop


@blp.after_request
def _cors_headers(response):
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response


@blp.route(f"/{PROPERTY_KEY}")
@blp.arguments(BANNER_QUERY, location="query")
@blp.response(200, BANNER_CONFIG)
@blp.alt_response(304, description="Not modified (If-None-Match)")
@blp.alt_response(429, schema=ErrorSchema, description="Rate limited (per client IP and per property)")
@blp.alt_response(403, schema=ErrorSchema, description="Origin not allowed")
def config(query: dict[str, Any], property_key: str) -> Response:
    """What the banner shows this visitor: texts, purposes, regime, notice, and the version hash."""
    prop = g.banner_property
    language = _language(prop, query)
    rules = runtime().rules
    # The CDN's place decides; the page's data-country and data-region can only ask for stricter rules.
    place(query.get("country"), query.get("region"))  # an unknown or contradicting region: 422, nothing shown
    jurisdiction = visitor_jurisdiction(rules, claimed_country=query.get("country"), claimed_region=query.get("region"))
    policy = rules.policy_for(jurisdiction)
    shown = banner.build_config(
        catalogue=g.banner_snapshot.catalogue,
        prop=prop,
        language=language,
        regime=policy.regime,
        rules=rules,
        policy=policy,
        declarations=g.banner_snapshot.declarations.get(prop.id, ()),
        frameworks=(
            framework_sources(
                directory=current_app.config["FRAMEWORKS_DIRECTORY"],
                vendor_list=g.banner_snapshot.vendor_list,
                settings=runtime().settings,
            )
            if prop.frameworks
            else None
        ),
        jurisdiction=jurisdiction,
    )
    runtime().banner_versions.remember(session=db.session(), prop=prop, config=shown, now=now())
    keys = verification.token_keys(
        session=db.session(),
        keystore=runtime().keystore,
        published=g.banner_snapshot.signing_keys,
        issuer=runtime().settings.token_issuer,
        now=now(),
    )
    # The keys are not part of what the visitor is shown (the banner version), but of the ETag.
    response = jsonify({**shown.as_response(), "tokens": keys.as_response()})
    response.set_etag(shown.version.removeprefix("sha256:") + "." + keys.tag)
    response.cache_control.public = True
    response.cache_control.max_age = CONFIG_MAX_AGE_SECONDS
    response.vary.add("Accept-Language")
    for header in (runtime().settings.country_header, runtime().settings.region_header):
        if header:
            response.vary.add(header)
    return response.make_conditional(request)


def _language(prop: PropertyEntry, query: dict[str, Any]) -> str:
    """The language asked for, else the browser's, else the property's default."""
    return localized_texts.choose_language(
        requested=query.get("lang"),
        accepted=request.accept_languages.values(),
        available=texts.languages(prop.texts),
        default=prop.default_language,
    )


@blp.route(f"/{PROPERTY_KEY}/declaration")
@blp.arguments(DECLARATION_QUERY, location="query")
@blp.response(200, PublicDeclarationSchema)
@blp.alt_response(304, description="Not modified (If-None-Match)")
@blp.alt_response(429, schema=ErrorSchema, description="Rate limited (per client IP and per property)")
@blp.alt_response(403, schema=ErrorSchema, description="Origin not allowed")
def declaration(query: dict[str, Any], property_key: str) -> Response:
    """The cookies the property declares, per purpose, in the visitor's language: for its cookie policy page."""
    prop = g.banner_property
    language = _language(prop, query)
    declared = scanner.by_purpose(g.banner_snapshot.declarations.get(prop.id, ()), language)
    response = jsonify({"language": language, "purposes": declared})
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = CONFIG_MAX_AGE_SECONDS
    response.vary.add("Accept-Language")
    return response.make_conditional(request)


@blp.route(f"/{PROPERTY_KEY}/consents", methods=["POST"])
@blp.arguments(CHOICE_IN)
@blp.response(201, CHOICE_OUT)
@blp.alt_response(429, schema=ErrorSchema, description="Rate limited (per client IP and per property)")
@blp.alt_response(403, schema=ErrorSchema, description="Origin not allowed")
def choose(body: dict[str, Any], property_key: str) -> tuple[dict[str, object], int]:
    """Record the visitor's choice and return their consent token; a previous token keeps the visitor."""
    settings = runtime().settings
    cdn_country, cdn_region = place_from_cdn()
    # The property, purposes and notices come from the process's snapshot, confirmed by the write's own read.
    # The choice and its token's row are one statement, which commits by itself (flows/record_consent.py).
    result = runtime().snapshots.run(
        session=db.session(),
        work=lambda snapshot: outside_transaction(
            db.session(),
            lambda optimistic: choose_on_banner(
                session=db.session(),
                snapshot=snapshot,
                prop=_admitted(snapshot),
                choice=banner.Choice(
                    choices=body["choices"],
                    method=Method(body["method"]),
                    notice_version=body["notice_version"],
                    banner_version=body["banner_version"],
                    token=body.get("token"),
                    gpc=body["gpc"] or request.headers.get("Sec-GPC") == "1",
                    country=cdn_country,
                    region=cdn_region,
                    regime=visitor_regime(runtime().rules),
                    evidence=evidence.minimize(ip=request.remote_addr, user_agent=request.user_agent.string or None),
                    tc_string=body.get("tc_string"),
                ),
                rules=runtime().rules,
                keystore=runtime().keystore,
                issuer=settings.token_issuer,
                max_ttl_seconds=settings.token_max_ttl_seconds,
                now=now(),
                versions=runtime().banner_versions,
                optimistic=optimistic,
            ),
        ),
        rollback=True,
    )
    db.session.commit()
    return {
        "visitor_id": result.visitor_id,
        "token": result.token.token,
        "expires_at": result.token.expires_at,
        "decisions": {key: {"decision": s.decision.value, "allowed": s.allowed} for key, s in result.decisions.items()},
    }, 201


@blp.route(f"/{PROPERTY_KEY}/verify", methods=["POST"])
@blp.arguments(VerifyInSchema)
@blp.response(200, VerifyOutSchema)
@blp.alt_response(429, schema=ErrorSchema, description="Rate limited (per client IP and per property)")
@blp.alt_response(403, schema=ErrorSchema, description="Origin not allowed")
def verify(body: dict[str, Any], property_key: str) -> dict[str, object]:
    """Whether a stored banner token is a valid one of this property's visitors, and its verified
    claims: for browsers without Ed25519 in WebCrypto, which must not trust the cookie's payload."""
    settings, checked_at = runtime().settings, now()
    try:
        # A kid the snapshot does not know is refused only once a fresh snapshot does not know it either.
        claims = runtime().snapshots.run(
            session=db.session(),
            work=lambda snapshot: verification.verified_claims(
                session=db.session(),
                keystore=runtime().keystore,
                issuer=settings.token_issuer,
                prop=_admitted(snapshot),
                token=body["token"],
                now=checked_at,
                snapshot=snapshot,
            ),
        )
    except verification.TokenNotVerified as refused:
        return {"valid": False, "reason": str(refused)}
    return {"valid": True, "claims": claims}
