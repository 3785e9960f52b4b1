"""The person's privacy request pages: the form per property, the link that confirms a request, and its status
with the receipt and (for a completed access request) the copy of the data.

No answer before verification depends on whether the identifier belongs to anyone: the form's POST never looks
the subject up, and what was done is shown only to the holder of a signed link."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask.views import MethodView

from consent_service import csrf, security_headers
from consent_service.clock import now
from consent_service.consents import evidence
from consent_service.errors import NotFound, ServiceError
from consent_service.extensions import db
from consent_service.flows.download_privacy_request_export import download_privacy_request_export
from consent_service.flows.file_privacy_request import file_privacy_request
from consent_service.flows.verify_privacy_request import verify_privacy_request
from consent_service.localized_texts import FALLBACK_LANGUAGE
from consent_service.preferences.links import LinkExpired, LinkInvalid, LinkKind, SignedLink
from consent_service.preferences.pages import SIGNED
from consent_service.preferences.service import FormRejected
from consent_service.privacy_requests import forms, receipts, texts
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.jurisdictions import Places, places_for
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.privacy_requests.status_page import offers_export, request_view
from consent_service.properties import service as properties
from consent_service.properties.models import Property
from consent_service.ratelimits import privacy_request_limits
from consent_service.regimes.privacy_request_rules import RequestRules
from consent_service.regimes.request_country import place_from_cdn
from consent_service.rights.receipts import Controller
from consent_service.rights.schemas import ExportSchema
from consent_service.runtime import app_signer, runtime
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import ObjectionTarget, RequestStatus, RequestType, SubjectKind, Verification

blp = Blueprint(
    "privacy_request_pages",
    __name__,
    description="The public privacy request pages (HTML): the form per property, and the signed links it mails.",
)

FORM_PATH = "/privacy-requests/<string(maxlength=64):property_key>"
VERIFY_PATH = f"/privacy-requests/verify/{SIGNED}"
STATUS_PATH = f"/privacy-requests/status/{SIGNED}"
FORM_SALT = "consent-service.privacy-requests.csrf"
# Error codes with their own explanation; any other refusal gets the generic one.
EXPLAINED_ERRORS = {"link_invalid", "link_expired", "not_found", "form_rejected", "rate_limited", "no_export"}


def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _form(properties: dict[str, Any], required: list[str]) -> dict:
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


_TEXT = {"type": "string", "maxLength": 2000}
CSRF_FIELD = {"csrf_token": {"type": "string", "maxLength": 512, "description": "From the page's form"}}
REQUEST_FORM = _form(
    {
        **CSRF_FIELD,
        "type": {"type": "string", "enum": [kind.value for kind in RequestType]},
        "objection": {"type": "string", "enum": [target.value for target in ObjectionTarget]},
        "correction": {**_TEXT, "description": "For a correction: what is wrong and what it should be"},
        "identifier": {"type": "string", "maxLength": 255, "description": "Email address, or customer id"},
        "jurisdiction": {"type": "string", "maxLength": 6, "description": "Country (DE) or region (US-CA)"},
        "on_behalf": {"type": "string", "enum": ["yes"], "description": "An authorized agent files"},
        "agent_name": {"type": "string", "maxLength": 200},
        "agent_email": {"type": "string", "maxLength": 254},
        "agent_declaration": {"type": "string", "enum": ["yes"]},
    },
    ["csrf_token", "type", "identifier", "jurisdiction"],
)


def _or_json(page: dict) -> dict:
    """A URL that matches no route at all (a path too long for it) gets the service's JSON 404 instead of the page."""
    page["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/Error"}}
    return page


LINK_ERRORS = {
    "404": _or_json(_html("Not a valid link (tampered, unknown, or signed with a retired secret)")),
    "410": _html("Expired link"),
}
NO_PROPERTY = {"404": _or_json(_html("No property has this key"))}
# A query that cannot be read (a language with NUL characters) is refused with a page, or by the request guard
# (JSON) before the page is reached.
UNREADABLE_QUERY = {"422": _or_json(_html("The query (its language) cannot be read; nothing changed"))}
LANGUAGE = {"in": "query", "name": "lang", "schema": {"type": "string", "maxLength": 35}, "required": False}


security_headers.protect(blp, security_headers.PREFERENCE_PAGE)


@blp.errorhandler(ServiceError)
def _error_page(error: ServiceError) -> ResponseReturnValue:
    """Every refusal is a page in the reader's language with the right status; nothing was changed."""
    language = g.get("page_language")
    if isinstance(error, LinkExpired):
        language = _language(error.claims.get("l"))
    kind = error.code if error.code in EXPLAINED_ERRORS else "bad_request"
    context = _context(language or _language(None))
    body = render_template("privacy_requests/error.html", **context, kind=kind, code=error.code)
    return body, error.status, error.headers


@blp.route(FORM_PATH)
class RequestForm(MethodView):
    @blp.doc(
        parameters=[LANGUAGE],
        responses={"200": _html("The form"), **NO_PROPERTY, **UNREADABLE_QUERY},
    )
    def get(self, property_key: str) -> str:
        """The form: what the person asks for, who they are, where they live, and who files it."""
        prop = _property(property_key)
        country, region = place_from_cdn()
        return _render_form(prop, values={"jurisdiction": _places().preselected(country, region) or ""})

    @blp.doc(
        parameters=[LANGUAGE],
        requestBody=REQUEST_FORM,
        responses={
            "200": _html("Received: the same page whether or not the identifier is known; an opt-out of sale: done"),
            "403": _html("Form not sent from this page (CSRF)"),
            **NO_PROPERTY,
            # JSON where the request guard refuses it before the page (NUL characters in a field).
            "422": _or_json(_html("The form again, with what to correct; nothing was stored")),
            "429": _html("Too many requests from this address or for this identifier"),
        },
    )
    def post(self, property_key: str) -> ResponseReturnValue:
        """File the request: recorded, then a link to confirm it is mailed (or sent to the operator's mailer)."""
        prop = _property(property_key)
        limits = privacy_request_limits()
        limits.spend_ip()
        _check_form({"p": prop.publishable_key})
        settings = runtime().settings
        verification = Verification(settings.privacy_request_verification)
        reading = forms.read(request.form, verification=verification, places=_places())
        if reading.filed is None:
            return _render_form(prop, values=reading.values, errors=reading.errors), 422
        filed = reading.filed
        limits.spend_identifier(filed.identifier)
        moment = now()
        file_privacy_request(
            session=db.session(),
            rules=runtime().rules,
            settings=settings,
            signer=app_signer(),
            base_url=settings.token_issuer,
            property_key=prop.publishable_key,
            type=filed.type,
            subject_kind=SubjectKind.CUSTOMER,
            subject_id=filed.identifier,
            contact=filed.contact,
            country=filed.country,
            region=filed.region,
            language=g.page_language,
            channel="web",
            details=filed.details,
            agent=filed.agent,
            verified=False,
            actor="agent" if filed.agent else "person",
            evidence=evidence.minimize(ip=request.remote_addr, user_agent=request.user_agent.string or None),
            now=moment,
        )
        # What the page says depends on the request's type and the settings only, never on who it names.
        if filed.type is RequestType.OPT_OUT_OF_SALE:
            return _render("privacy_requests/done.html")
        expires = None
        if verification is Verification.EMAIL:
            max_age = timedelta(seconds=settings.privacy_request_link_max_age_seconds)
            expires = texts.date_time(g.page_language, moment + max_age)
        return _render("privacy_requests/sent.html", expires=expires)


@blp.route(VERIFY_PATH)
class VerifyPage(MethodView):
    @blp.doc(
        parameters=[LANGUAGE],
        responses={
            "200": _html("A confirm button; nothing changes"),
            "303": {"description": "Confirmed before (or refused): on to the request's status page"},
            **LINK_ERRORS,
            **UNREADABLE_QUERY,
        },
    )
    def get(self, signed: str) -> ResponseReturnValue:
        """Mail scanners follow links: a GET only shows the button that confirms (or, once confirmed, the status)."""
        found = _linked(LinkKind.PRIVACY_REQUEST_VERIFY, signed)
        if found.status != RequestStatus.UNVERIFIED:
            return redirect(url_for(".StatusPage", signed=_status_link(found).token), 303)
        view = request_view(language=g.page_language, rules=_request_rules(), request=found)
        token = _form_tokens().issue({"r": found.id})
        return _render("privacy_requests/verify.html", view=view, csrf_token=token)

    @blp.doc(
        parameters=[LANGUAGE],
        requestBody=_form(CSRF_FIELD, ["csrf_token"]),
        responses={
            "200": _html("Confirmed (a repeat changes nothing): the request's status page"),
            "403": _html("Form not sent from this page (CSRF)"),
            **LINK_ERRORS,
            **UNREADABLE_QUERY,
        },
    )
    def post(self, signed: str) -> ResponseReturnValue:
        """Confirm the request: it runs now (what the service holds at once; the operator's systems are told)."""
        found = _linked(LinkKind.PRIVACY_REQUEST_VERIFY, signed)
        _check_form({"r": found.id})
        if found.status != RequestStatus.UNVERIFIED:
            return _status_page(found, _status_link(found))  # confirmed before, or refused: nothing to run
        settings = runtime().settings
        verified = verify_privacy_request(
            session=db.session(),
            rules=runtime().rules,
            settings=settings,
            signer=app_signer(),
            base_url=settings.token_issuer,
            request_id=found.id,
            pepper=settings.erasure_pepper,
            now=now(),
        )
        return _status_page(verified, _status_link(verified))


@blp.route(STATUS_PATH)
class StatusPage(MethodView):
    @blp.doc(
        parameters=[LANGUAGE], responses={"200": _html("The request's status page"), **LINK_ERRORS, **UNREADABLE_QUERY}
    )
    def get(self, signed: str) -> str:
        """Status and due date, what was done and when, the systems still pending, a refusal's reason, the
        receipt, and for a completed access request the copy of the data."""
        found = _linked(LinkKind.PRIVACY_REQUEST_STATUS, signed)
        max_age = timedelta(seconds=runtime().settings.privacy_request_status_link_max_age_seconds)
        return _status_page(found, SignedLink(token=signed, expires_at=g.link_issued_at + max_age))


@blp.route(f"{STATUS_PATH}/export")
class ExportDownload(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "Everything held about the person (schemas/subject-export.schema.json), as a file",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **LINK_ERRORS,
            "404": _or_json(_html("Nothing is held about the person, or not a valid link")),
            "409": _html("Not a completed access request"),
        }
    )
    def get(self, signed: str) -> ResponseReturnValue:
        """The copy of the data of a completed access request; every download is a `downloaded` step."""
        found = _linked(LinkKind.PRIVACY_REQUEST_STATUS, signed)
        try:
            exported = download_privacy_request_export(
                session=db.session(),
                rules=runtime().rules,
                request_id=found.id,
                pepper=runtime().settings.erasure_pepper,
                now=now(),
            )
        except NotFound:
            # The verified person may learn that nothing is held about them; nobody else reaches this.
            return _render("privacy_requests/error.html", kind="nothing_held"), 404
        body = json.dumps(ExportSchema().dump(exported), ensure_ascii=False, indent=2)
        return _attachment(body, "application/json", f"{found.id}-data.json")


@blp.route(f"{STATUS_PATH}/receipt")
class ReceiptDownload(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The request's signed receipt (JWS, typ privacy-request-receipt+jwt), as a file",
                "content": {"application/jwt": {"schema": {"type": "string"}}},
            },
            **LINK_ERRORS,
        }
    )
    def get(self, signed: str) -> Response:
        """The signed receipt: what was asked, what was done and when; verifiable with the JWKS."""
        found = _linked(LinkKind.PRIVACY_REQUEST_STATUS, signed)
        settings = runtime().settings
        signed_receipt = receipts.receipt(
            session=db.session(),
            keystore=runtime().keystore,
            controller=Controller(
                name=settings.controller_name, contact=settings.controller_contact, issuer=settings.token_issuer
            ),
            request_id=found.id,
            now=now(),
        )
        db.session.commit()  # the first signature ever creates the first signing key
        return _attachment(signed_receipt, "application/jwt", f"{found.id}-receipt.jwt")


def _property(property_key: str) -> Property:
    prop = properties.get_by_key(session=db.session(), publishable_key=property_key)
    g.page_language = _language(None, default=prop.default_language)
    return prop


def _linked(kind: LinkKind, signed: str) -> PrivacyRequest:
    """The request a signed link of `kind` names; the page's language is the link's unless ?lang= says."""
    claims, issued_at = app_signer().verify_issued(kind, signed)
    request_id = claims.get("r")
    if not isinstance(request_id, str):
        raise LinkInvalid()
    g.page_language = _language(claims.get("l") if isinstance(claims.get("l"), str) else None)
    g.link_issued_at = issued_at
    try:
        return privacy_requests.get(session=db.session(), request_id=request_id)
    except privacy_requests.RequestNotFound:
        raise LinkInvalid() from None  # authentic, but of a request no longer here


def _language(link_language: str | None, *, default: str = FALLBACK_LANGUAGE) -> str:
    """?lang=, then the link's language, then the browser's, then `default` (the property's)."""
    requested = request.args.get("lang") or link_language
    return texts.choose_language(requested=requested, accepted=request.accept_languages.values(), default=default)


def _status_link(found: PrivacyRequest) -> SignedLink:
    return app_signer().sign(LinkKind.PRIVACY_REQUEST_STATUS, {"r": found.id, "l": g.page_language})


def _status_page(found: PrivacyRequest, link: SignedLink) -> str:
    """The request as its status link shows it; the downloads' links carry that link's token."""
    session = db.session()
    view = request_view(
        language=g.page_language,
        rules=_request_rules(),
        request=found,
        steps=privacy_requests.steps_of(session=session, request_id=found.id),
        systems=privacy_requests.systems_of(session=session, request_id=found.id),
        export_url=url_for(".ExportDownload", signed=link.token) if offers_export(found) else None,
        receipt_url=url_for(".ReceiptDownload", signed=link.token),
        link_expires_at=link.expires_at,
    )
    return _render("privacy_requests/status.html", view=view, status_url=url_for(".StatusPage", signed=link.token))


def _places() -> Places:
    return places_for(frozenset(region[:2] for region in _request_rules().by_region))


def _request_rules() -> RequestRules:
    return runtime().rules.privacy_requests


def _check_form(bound: dict[str, str]) -> None:
    csrf.require_same_site(
        fetch_site=request.headers.get("Sec-Fetch-Site"),
        origin=request.headers.get("Origin"),
        own_origin=None,
        rejected=FormRejected,
    )
    _form_tokens().verify(request.form.get("csrf_token"), bound=bound)


def _form_tokens() -> csrf.FormTokens:
    return csrf.FormTokens(
        settings=runtime().settings, salt=FORM_SALT, clock=current_app.config["CLOCK"], rejected=FormRejected
    )


def _render_form(prop: Property, *, values: dict[str, str], errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    verification = Verification(runtime().settings.privacy_request_verification)
    return _render(
        "privacy_requests/form.html",
        property_name=prop.name,
        values=values,
        errors=errors,
        anchors=_anchors(values),
        types=list(RequestType),
        objection_targets=list(ObjectionTarget),
        mode="email" if verification is Verification.EMAIL else "webhook",
        places=_places().choices(g.page_language),
        selected_place=values.get("jurisdiction", ""),
        languages=texts.LANGUAGE_NAMES,
        csrf_token=_form_tokens().issue({"p": prop.publishable_key}),
    )


def _anchors(values: dict[str, str]) -> dict[str, str]:
    """Where each error of the summary leads: the field, or a group's first (or chosen) option."""
    return {
        **{name: name for name in forms.FIELDS},
        "type": f"type-{values.get('type') if values.get('type') in set(RequestType) else RequestType.ACCESS}",
        "objection": f"objection-{next(iter(ObjectionTarget))}",
    }


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _context(language: str) -> dict[str, Any]:
    return {"lang": language, "t": texts.ui(language)}


def _render(template: str, **context: Any) -> str:
    return render_template(template, **_context(g.page_language), **context)
