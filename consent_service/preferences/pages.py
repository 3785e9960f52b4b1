"""The HTML pages behind the signed links: preferences, one-click unsubscribe, double opt-in confirmation."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_smorest import Api
from werkzeug.routing import BaseConverter

from consent_service import csrf, security_headers
from consent_service.clock import now
from consent_service.consents import evidence
from consent_service.errors import ServiceError
from consent_service.extensions import db
from consent_service.flows.confirm_double_opt_in import confirm_double_opt_in
from consent_service.flows.save_preferences import save_preferences
from consent_service.flows.unsubscribe_one_click import unsubscribe_one_click
from consent_service.preferences import service as preferences
from consent_service.preferences import texts
from consent_service.preferences.links import LinkExpired, LinkKind
from consent_service.preferences.service import CONFIRM_PATH, ONE_CLICK_PATH, PAGE_PATH
from consent_service.purposes import service as purposes
from consent_service.runtime import app_signer, runtime
from consent_service.strict_json import Blueprint

blp = Blueprint("preference_pages", __name__, description="The pages marketing emails link to (HTML, signed links).")

SIGNED = "<signed:signed>"
SIGNED_MAX_LENGTH = 2000


class SignedLinkConverter(BaseConverter):
    """A signed link's token: URL-safe base64 and dots only, so a matching URL always fits a request line."""

    regex = rf"[A-Za-z0-9_.\-]{{1,{SIGNED_MAX_LENGTH}}}"


def register_signed_converter(app: Flask, api: Api) -> None:
    """Routes and the OpenAPI document both learn the token's alphabet (before the blueprint registers)."""
    app.url_map.converters["signed"] = SignedLinkConverter
    api.register_converter(
        SignedLinkConverter,
        lambda _converter: {
            "type": "string",
            "pattern": "^[A-Za-z0-9_.-]+$",
            "minLength": 1,
            "maxLength": SIGNED_MAX_LENGTH,
        },
    )


# Error codes with their own explanation; any other refusal gets the generic one.
EXPLAINED_ERRORS = {
    "link_invalid",
    "link_expired",
    "subject_erased",
    "form_rejected",
    "not_pending",
    "page_out_of_date",
}


def _html(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _form(properties: dict[str, Any], required: list[str]) -> dict:
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


# A URL that matches no route at all (a mangled token) gets the service's JSON 404 instead of the page.
_NOT_A_LINK = _html("Not a valid link (tampered, unknown, or signed with a retired secret)")
_NOT_A_LINK["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/Error"}}
LINK_ERRORS = {"404": _NOT_A_LINK, "410": _html("Expired link, or issued before its customer was erased")}
FORM_ERRORS = {**LINK_ERRORS, "403": _html("Form not sent from this customer's page (CSRF)")}
CSRF_FIELD = {"csrf_token": {"type": "string", "maxLength": 512, "description": "From the page's form"}}
# Werkzeug caps a form at 1000 parts (max_form_parts); the page never shows more purposes than this.
PAGE_PURPOSES = {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 64}}


security_headers.protect(blp, security_headers.PREFERENCE_PAGE)


@blp.errorhandler(ServiceError)
def _error_page(error: ServiceError) -> ResponseReturnValue:
    """Every refusal is a page in the reader's language with the right status; nothing was changed."""
    language = g.get("page_language")
    if isinstance(error, LinkExpired):
        language = texts.choose_language(requested=error.claims.get("l"), accepted=request.accept_languages.values())
    language = language or texts.choose_language(requested=None, accepted=request.accept_languages.values())
    kind = error.code if error.code in EXPLAINED_ERRORS else "bad_request"
    body = render_template("preferences/error.html", **_page_context(language), kind=kind, code=error.code)
    return body, error.status


@blp.route(f"{PAGE_PATH}{SIGNED}")
class PreferencePage(MethodView):
    @blp.doc(responses={"200": _html("The customer's preference page"), **LINK_ERRORS})
    def get(self, signed: str) -> str:
        """The customer's marketing choices as toggles; service notices shown as always on."""
        claims = _verified(LinkKind.PREFERENCES, signed)
        page = preferences.page_for(
            session=db.session(), rules=runtime().rules, customer_id=claims.customer_id, now=now()
        )
        return _render("preferences/page.html", page=page, signed=signed, csrf_token=_page_token(claims, page))

    @blp.doc(
        requestBody=_form(
            {
                **CSRF_FIELD,
                "shown": {**PAGE_PURPOSES, "description": "Purposes the page showed"},
                "purpose": {**PAGE_PURPOSES, "description": "Purposes switched on"},
            },
            ["csrf_token"],
        ),
        responses={
            "200": _html("Saved: the confirmation"),
            "409": _html("The page is out of date: reload it"),
            "422": _html("The form cannot be saved as sent (e.g. it names unknown purposes); nothing was saved"),
            **FORM_ERRORS,
        },
    )
    def post(self, signed: str) -> str:
        """Save the page: one `preference_page` event per changed toggle, only from a page with the latest choices."""
        claims = _verified(LinkKind.PREFERENCES, signed)
        shown_revision = _check_form(claims.customer_id)
        page = save_preferences(
            session=db.session(),
            rules=runtime().rules,
            claims=claims,
            shown=set(request.form.getlist("shown")),
            wanted=set(request.form.getlist("purpose")),
            language=g.page_language,
            evidence=_evidence(),
            now=now(),
            shown_revision=shown_revision,
        )
        return _render("preferences/saved.html", page=page, signed=signed)


@blp.route(f"{ONE_CLICK_PATH}{SIGNED}")
class OneClickUnsubscribe(MethodView):
    @blp.doc(responses={"200": _html("A page with a confirm button; nothing changes"), **LINK_ERRORS})
    def get(self, signed: str) -> str:
        """Mail scanners follow links: a GET only shows the button that unsubscribes."""
        _verified(LinkKind.ONE_CLICK, signed)
        return _render("preferences/unsubscribe.html", signed=signed)

    @blp.doc(
        requestBody=_form({"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}, ["List-Unsubscribe"]),
        responses={
            "200": _html("Unsubscribed (a repeat changes nothing)"),
            "400": _html("Not a one-click request"),
            **LINK_ERRORS,
        },
    )
    def post(self, signed: str) -> str:
        """RFC 8058 one-click unsubscribe: marketing denied at once, no login, no confirmation step."""
        claims = _verified(LinkKind.ONE_CLICK, signed)
        if request.form.get("List-Unsubscribe") != "One-Click":
            raise preferences.NotOneClick()
        unsubscribe_one_click(
            session=db.session(),
            rules=runtime().rules,
            claims=claims,
            language=g.page_language,
            evidence=_evidence(),
            now=now(),
        )
        manage = preferences.page_link(signer=app_signer(), base_url=runtime().settings.token_issuer, claims=claims)
        return _render("preferences/unsubscribed.html", manage_url=manage.url)


@blp.route(f"{CONFIRM_PATH}{SIGNED}")
class DoubleOptInConfirmation(MethodView):
    @blp.doc(
        responses={
            "200": _html("A page with a confirm button; nothing changes"),
            "409": _html("Nothing pending"),
            **LINK_ERRORS,
        }
    )
    def get(self, signed: str) -> str:
        """Shows the confirm button (or that it is already confirmed); a GET never confirms."""
        claims = _verified_confirmation(signed)
        status = preferences.confirmation_status(session=db.session(), claims=claims)
        template = (
            "preferences/confirmed.html"
            if status is preferences.ConfirmationStatus.CONFIRMED
            else "preferences/confirm.html"
        )
        return _render(template, signed=signed, purpose=_purpose_name(claims.purpose))

    @blp.doc(
        requestBody=_form(CSRF_FIELD, ["csrf_token"]),
        responses={
            "200": _html("Confirmed (a repeat changes nothing)"),
            "409": _html("Nothing pending"),
            **FORM_ERRORS,
        },
    )
    def post(self, signed: str) -> str:
        """Confirm the double opt-in: the pending grant becomes allowed, with its own ledger event."""
        claims = _verified_confirmation(signed)
        _check_form(claims.customer_id)
        confirm_double_opt_in(
            session=db.session(), rules=runtime().rules, claims=claims, evidence=_evidence(), now=now()
        )
        return _render("preferences/confirmed.html", purpose=_purpose_name(claims.purpose))


def _verified(kind: LinkKind, signed: str) -> preferences.LinkClaims:
    claims = preferences.read_link(
        session=db.session(), signer=app_signer(), pepper=runtime().settings.erasure_pepper, kind=kind, token=signed
    )
    _set_language(claims.language, claims.customer_id)
    return claims


def _verified_confirmation(signed: str) -> preferences.ConfirmationClaims:
    claims = preferences.read_confirmation(
        session=db.session(), signer=app_signer(), pepper=runtime().settings.erasure_pepper, token=signed
    )
    _set_language(claims.language, claims.customer_id)
    return claims


def _set_language(requested: str | None, customer_id: str) -> None:
    g.page_language = texts.choose_language(requested=requested, accepted=request.accept_languages.values())
    g.page_customer = customer_id


def _check_form(customer_id: str) -> int | None:
    """The revision the form was shown at; FormRejected if it is not this customer's page."""
    csrf.require_same_site(
        fetch_site=request.headers.get("Sec-Fetch-Site"),
        origin=request.headers.get("Origin"),
        own_origin=None,
        rejected=preferences.FormRejected,
    )
    return preferences.check_form_token(
        tokens=_form_tokens(), token=request.form.get("csrf_token"), customer_id=customer_id
    )


def _page_token(claims: preferences.LinkClaims, page: preferences.PreferencePage) -> str:
    """The preference form's token: bound to the customer and to the revision of the choices shown."""
    return preferences.form_token(tokens=_form_tokens(), customer_id=claims.customer_id, revision=page.revision)


def _form_tokens() -> csrf.FormTokens:
    return csrf.FormTokens(
        settings=runtime().settings,
        salt=preferences.FORM_SALT,
        clock=current_app.config["CLOCK"],
        rejected=preferences.FormRejected,
    )


def _evidence() -> dict[str, str]:
    return evidence.minimize(ip=request.remote_addr, user_agent=request.user_agent.string or None)


def _purpose_name(key: str) -> str:
    catalogue = purposes.catalogue(session=db.session())
    return texts.purpose_texts(g.page_language, catalogue[key])["name"] if key in catalogue else key


def _page_context(language: str) -> dict[str, Any]:
    return {"lang": language, "t": texts.ui(language), "purpose_texts": lambda p: texts.purpose_texts(language, p)}


def _render(template: str, **context: Any) -> str:
    context.setdefault("csrf_token", preferences.form_token(tokens=_form_tokens(), customer_id=g.page_customer))
    return render_template(template, **_page_context(g.page_language), **context)
