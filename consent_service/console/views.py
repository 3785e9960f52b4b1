"""The console's pages (plain Flask views returning HTML, kept out of the OpenAPI document on purpose).

Every page but sign-in needs a session; a form POST also needs the session's CSRF token and a
same-origin browser. Every POST action writes an audit entry in the same transaction.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from consent_service import csrf, security_headers
from consent_service.audit import service as audit
from consent_service.banner import service as banner
from consent_service.banner import site
from consent_service.clock import now
from consent_service.consents import service as consents
from consent_service.console import banner_texts, dashboard, forms, sessions
from consent_service.console.sessions import (
    COOKIE_NAME,
    COOKIE_PATH,
    ConsoleSession,
    CsrfRejected,
    NoSession,
    SessionSigner,
)
from consent_service.errors import NotFound, RateLimited, ServiceError, Unauthorized, ValidationFailed
from consent_service.extensions import db

# As a module: the erasure page below is itself named erase_subject.
from consent_service.flows import erase_subject as erasing
from consent_service.flows.scan_property import comparison_with_previous
from consent_service.frameworks import service as vendor_lists
from consent_service.frameworks.banner_config import FrameworkSources, framework_sources
from consent_service.notices import service as notices
from consent_service.properties import service as properties
from consent_service.properties.models import Property
from consent_service.properties.service import PropertyEntry
from consent_service.purposes import service as purposes
from consent_service.ratelimits import auth_failures
from consent_service.rights.export import export
from consent_service.rights.schemas import ExportSchema
from consent_service.runtime import runtime
from consent_service.scanner import service as scans
from consent_service.scanner.findings import Assessment
from consent_service.texts import banner as builtin_texts
from consent_service.vocabulary import DeliveryStatus, Framework, Scope, SubjectKind, WebhookEventType
from consent_service.webhooks import deliveries
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookEndpoint
from consent_service.webhooks.signing import SecretCipher

blp = Blueprint("console", __name__, url_prefix="/admin")

PRE_SESSION_COOKIE = "cs_admin_pre"  # binds the sign-in form's CSRF token before there is a session
PRE_SESSION_SECONDS = 3600
PUBLIC_ENDPOINTS = {"console.sign_in"}
HISTORY_LIMIT = 200
DELIVERY_LIMIT = 50
NAV = (
    ("console.dashboard_page", "Dashboard"),
    ("console.properties_page", "Properties"),
    ("console.notices_page", "Notices"),
    ("console.subjects_page", "Subjects"),
    ("console.privacy_requests_page", "Privacy requests"),
    ("console.webhooks_page", "Webhooks"),
    ("console.audit_page", "Audit log"),
)

# Pages under a section of the navigation that are not its landing page.
SECTIONS = {
    "console.property_page": "console.properties_page",
    "console.property_frameworks": "console.properties_page",
    "console.scans_page": "console.properties_page",
    "console.scan_page": "console.properties_page",
    "console.export_subject": "console.subjects_page",
    "console.erase_subject": "console.subjects_page",
    "console.replay_deliveries": "console.webhooks_page",
    "console.webhook_page": "console.webhooks_page",
    "console.switch_webhook": "console.webhooks_page",
    "console.delete_webhook": "console.webhooks_page",
    "console.privacy_request_page": "console.privacy_requests_page",
    "console.extend_privacy_request_form": "console.privacy_requests_page",
    "console.refuse_privacy_request_form": "console.privacy_requests_page",
}
BRAND = ("Consent Service", "Admin console")  # the masthead sets them on two lines: the header stays one row
TEXTS = {"brand": " · ".join(BRAND), "brand_parts": BRAND, "footer": "Every action here is written to the audit log."}


def _signer() -> SessionSigner:
    settings = runtime().settings
    return SessionSigner(secret_key=settings.secret_key, fallbacks=settings.secret_key_fallbacks)


def _form_tokens() -> csrf.FormTokens:
    """The console forms' CSRF tokens: bound to the session (the sign-in form: to its pre-session cookie)."""
    return csrf.FormTokens(
        settings=runtime().settings, salt=sessions.CSRF_SALT, clock=current_app.config["CLOCK"], rejected=CsrfRejected
    )


def _ttl() -> int:
    return runtime().settings.admin_session_ttl_seconds


def _current() -> ConsoleSession:
    return g.console_session


@blp.before_request
def _require_session() -> ResponseReturnValue | None:
    """Pages without a valid session go to sign-in; forms without one (or without their token) are refused."""
    g.console_session = None
    if request.method == "POST":
        _check_origin()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    try:
        g.console_session = sessions.resume(
            session=db.session(),
            signer=_signer(),
            cookie=request.cookies.get(COOKIE_NAME),
            ttl_seconds=_ttl(),
            now=now(),
        )
    except NoSession as missing:
        if request.method in ("GET", "HEAD"):
            response = redirect(url_for("console.sign_in", reason=missing.code, next=_local_path(request.full_path)))
            if request.cookies.get(COOKIE_NAME):
                response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
            return response
        raise
    if request.method == "POST":
        _form_tokens().verify(request.form.get("csrf_token"), bound={"s": _current().sid})
    return None


def _check_origin() -> None:
    csrf.require_same_site(
        fetch_site=request.headers.get("Sec-Fetch-Site"),
        origin=request.headers.get("Origin"),
        own_origin=request.host_url.rstrip("/"),
        rejected=CsrfRejected,
    )


def _local_path(path: str) -> str:
    """Only a path inside the console is a place to come back to after signing in."""
    path = path.rstrip("?")
    return (
        path if path.startswith(COOKIE_PATH + "/") and not path.startswith("//") else url_for("console.dashboard_page")
    )


security_headers.protect(
    blp, security_headers.CONSOLE_PAGE, by_endpoint={"console.preview": security_headers.CONSOLE_PREVIEW}
)


@blp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> ResponseReturnValue:
    """Refusals are pages too; a refused form has changed nothing (its transaction is rolled back)."""
    db.session.rollback()
    if isinstance(error, NoSession):
        response = Response(
            render_template("console/refused.html", **_context(), error=error, signed_out=True), status=error.status
        )
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
        return response
    return render_template("console/refused.html", **_context(), error=error), error.status, error.headers


def _context(**extra: Any) -> dict[str, Any]:
    current = g.get("console_session")
    csrf_token = _form_tokens().issue({"s": current.sid}) if current else None
    active = SECTIONS.get(request.endpoint or "", request.endpoint)
    return {
        "nav": NAV,
        "active": active,
        "who": current,
        "csrf_token": csrf_token,
        "lang": "en",
        "t": TEXTS,
        "ttl_minutes": _ttl() // 60,
        **extra,
    }


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **_context(**context)), status


def _audit(action: str, target: str, **details: Any) -> None:
    current = _current()
    audit.record(
        session=db.session(),
        actor_key_id=current.key_id,
        actor=current.actor,
        action=action,
        target=target,
        now=now(),
        details=details,
    )


# --- signing in and out -------------------------------------------------------------------------------------------


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    pre = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(18)
    reason = request.args.get("reason", "")
    status, error = 200, None
    if request.method == "POST":
        _form_tokens().verify(request.form.get("csrf_token"), bound={"s": pre})
        try:
            body = forms.load(forms.SignInForm, request.form)
            cookie, started = sign_in_with(body["key"])
        except (Unauthorized, ValidationFailed):
            # Only failures count, and only they are refused: the right key always signs in.
            status, error = 401, "That is not a valid key."
            try:
                auth_failures().record()
            except RateLimited as limited:
                status, error = limited.status, "Too many failed sign-ins from this address; try again later."
        except ServiceError as refused:  # a valid key without the admin scope
            status, error = refused.status, refused.message
        else:
            g.console_session = started
            _audit("sign_in", started.actor)
            db.session.commit()
            response = redirect(_local_path(request.args.get("next", "")))
            response.set_cookie(
                COOKIE_NAME,
                cookie,
                max_age=_ttl(),
                path=COOKIE_PATH,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
            )
            response.delete_cookie(PRE_SESSION_COOKIE, path=url_for("console.sign_in"))
            return response
    page = render_template(
        "console/sign_in.html", **_context(), sign_in_csrf=_form_tokens().issue({"s": pre}), error=error, reason=reason
    )
    response = Response(page, status=status)
    response.set_cookie(
        PRE_SESSION_COOKIE,
        pre,
        max_age=PRE_SESSION_SECONDS,
        path=url_for("console.sign_in"),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


def sign_in_with(presented: str) -> tuple[str, ConsoleSession]:
    return sessions.sign_in(session=db.session(), signer=_signer(), presented=presented, ttl_seconds=_ttl(), now=now())


@blp.route("/sign-out", methods=["POST"])
def sign_out():
    sessions.sign_out(session=db.session(), console_session=_current())
    _audit("sign_out", _current().actor)
    db.session.commit()
    response = redirect(url_for("console.sign_in", reason="signed_out"))
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
    return response


@blp.route("/")
def index():
    return redirect(url_for("console.dashboard_page"))


# --- dashboard ----------------------------------------------------------------------------------------------------


@blp.route("/dashboard")
def dashboard_page():
    props = properties.list_properties(session=db.session())
    controls, errors = dashboard.parse_controls(
        request.args, today=now().date(), property_keys={p.publishable_key for p in props}
    )
    board = dashboard.build(session=db.session(), controls=controls)
    return _render(
        "console/dashboard.html",
        422 if errors else 200,
        board=board,
        errors=errors,
        properties=props,
        choice_names=dashboard.CHOICE_NAMES,
    )


# --- properties ---------------------------------------------------------------------------------------------------


def _notices_in_effect() -> dict[str, notices.NoticeInEffect]:
    """The notice each property's banner links to, by property id: the Notices page reads the same function."""
    return {entry.property_id: entry for entry in notices.notices_in_effect(session=db.session())}


@blp.route("/properties")
def properties_page():
    return _render(
        "console/properties.html",
        properties=properties.list_properties(session=db.session()),
        in_effect=_notices_in_effect(),
    )


def _language(prop: Property) -> str:
    requested = (request.values.get("language") or request.args.get("lang") or prop.default_language).lower()
    return requested if re.fullmatch(r"[a-z]{2}", requested) else prop.default_language


@blp.route("/properties/<string(maxlength=40):property_id>", methods=["GET", "POST"])
def property_page(property_id: str) -> ResponseReturnValue:
    prop = properties.get(session=db.session(), property_id=property_id)
    language = _language(prop)
    errors: dict[str, list[str]] = {}
    saved = False
    if request.method == "POST":
        body = forms.load(forms.PropertyForm, request.form)
        origins = [line.strip() for line in body["allowed_origins"].splitlines() if line.strip()]
        texts = banner_texts.overrides_from_form(prop, language, request.form)
        # The origins are the API's rule (properties.service.allowed_origins), the same for both.
        try:
            properties.update_property(
                session=db.session(),
                property_id=prop.id,
                now=now(),
                changes={"allowed_origins": origins, "texts": texts},
            )
        except ValidationFailed as invalid:
            errors = invalid.errors
            db.session.rollback()
            prop = properties.get(session=db.session(), property_id=property_id)
        else:
            _audit(
                "property_updated",
                prop.id,
                language=language,
                allowed_origins=prop.allowed_origins,
                texts_changed=sorted(texts.get(language, {}).get("ui", {})),
            )
            db.session.commit()
            saved = True
    fields = banner_texts.fields_for(prop, language)
    if errors:  # show what the operator typed, not what is stored
        fields = [
            banner_texts.TextField(f.name, f.label, request.form.get(f.name, f.value), f.default, f.multiline)
            for f in fields
        ]
    origins_text = request.form.get("allowed_origins") if errors else "\n".join(prop.allowed_origins)
    return _property_page(
        prop, language, errors=errors, saved="texts" if saved else None, fields=fields, origins_text=origins_text
    )


@blp.route("/properties/<string(maxlength=40):property_id>/frameworks", methods=["POST"])
def property_frameworks(property_id: str) -> ResponseReturnValue:
    """Enable frameworks and pick the property's TCF vendors from the current Global Vendor List."""
    prop = properties.get(session=db.session(), property_id=property_id)
    language = _language(prop)
    try:
        body = forms.load(forms.FrameworksForm, request.form, lists=("frameworks", "tcf_vendors"))
        properties.update_property(
            session=db.session(),
            property_id=prop.id,
            now=now(),
            changes={"frameworks": body["frameworks"], "tcf_vendors": body["tcf_vendors"]},
        )
    except ValidationFailed as invalid:
        db.session.rollback()
        prop = properties.get(session=db.session(), property_id=property_id)
        return _property_page(
            prop,
            language,
            errors=invalid.errors,
            checked_frameworks=request.form.getlist("frameworks"),
            checked_vendors=request.form.getlist("tcf_vendors"),
        )
    _audit("property_frameworks_updated", prop.id, frameworks=prop.frameworks, tcf_vendors=prop.tcf_vendors)
    db.session.commit()
    return _property_page(prop, language, saved="frameworks")


def _property_page(
    prop: Property,
    language: str,
    *,
    errors: dict[str, list[str]] | None = None,
    saved: str | None = None,
    fields: list[banner_texts.TextField] | None = None,
    origins_text: str | None = None,
    checked_frameworks: list[str] | None = None,
    checked_vendors: list[str] | None = None,
) -> ResponseReturnValue:
    """The property's page: its origins and texts, its frameworks and vendors, its tag; a refused form shows
    what the operator sent, the rest what is stored."""
    vendor_list = vendor_lists.current_version(session=db.session())
    return _render(
        "console/property.html",
        422 if errors else 200,
        prop=prop,
        language=language,
        fields=fields if fields is not None else banner_texts.fields_for(prop, language),
        languages=sorted(builtin_texts.languages(prop.texts)),
        origins_text=origins_text if origins_text is not None else "\n".join(prop.allowed_origins),
        errors=errors or {},
        saved=saved,
        frameworks=[framework.value for framework in Framework],
        checked_frameworks=checked_frameworks if checked_frameworks is not None else prop.frameworks,
        checked_vendors=(
            checked_vendors if checked_vendors is not None else [str(vendor) for vendor in prop.tcf_vendors]
        ),
        vendor_list_version=vendor_list,
        vendors=vendor_lists.offered_vendors(session=db.session()) if vendor_list is not None else {},
        snippet=_tag(prop),
        notice=_notices_in_effect()[prop.id],
    )


def _tag(prop: Property) -> str:
    """The script tag a site puts on its pages: consent.js (async), or with frameworks consent-frameworks.js,
    loaded without async so that its data-frameworks installs the frameworks' stubs (__gpp, __tcfapi) before any
    later tag asks for them (docs/frameworks.md)."""
    frameworks = f' data-frameworks="{" ".join(prop.frameworks)}"' if prop.frameworks else " async"
    return (
        f'<script src="{runtime().settings.token_issuer}/{site.script_for(prop.frameworks)}"'
        f' data-property="{prop.publishable_key}"{frameworks}></script>'
    )


def _framework_sources(prop: PropertyEntry) -> FrameworkSources:
    return framework_sources(
        directory=current_app.config["FRAMEWORKS_DIRECTORY"],
        vendor_list=vendor_lists.vendor_list_entry(session=db.session(), vendor_ids=prop.tcf_vendors),
        settings=runtime().settings,
    )


@blp.route("/properties/<string(maxlength=40):property_id>/preview")
def preview(property_id: str) -> str:
    """The banner exactly as consent.js draws it, with the draft texts in the query; nothing is recorded."""
    prop = properties.get(session=db.session(), property_id=property_id)
    language = _language(prop)
    texts = banner_texts.overrides_from_form(prop, language, request.args)
    problems = builtin_texts.validate_overrides(texts)
    config = None
    if not problems:
        rules = runtime().rules
        draft = banner_texts.draft(prop, texts)
        shown = banner.build_config(
            catalogue=purposes.catalogue_entries(session=db.session()),
            prop=draft,
            language=language,
            regime=rules.regime_for(request.args.get("country") or None),
            rules=rules,
            jurisdiction=rules.jurisdiction(request.args.get("country") or None),
            declarations=scans.declaration_entries(session=db.session()).get(prop.id, ()),
            frameworks=_framework_sources(draft) if draft.frameworks else None,
        )
        config = shown.as_response()
    return render_template(
        "console/preview.html",
        config=config,
        problems=problems,
        nonce=security_headers.style_nonce(),
        lang=language,
        # The framework files the config names load only from consent-frameworks.js.
        script=site.script_for(prop.frameworks),
    )


# --- notices ------------------------------------------------------------------------------------------------------


def _notices_context(**extra: Any) -> dict[str, Any]:
    return {
        "notices": notices.list_notices(session=db.session())[:100],
        "in_effect": notices.notices_in_effect(session=db.session()),
        "properties": properties.list_properties(session=db.session()),
        "catalogue": purposes.catalogue(session=db.session()),
        "kinds": notices.KINDS,
        **extra,
    }


@blp.route("/notices", methods=["GET", "POST"])
def notices_page():
    if request.method == "GET":
        return _render("console/notices.html", **_notices_context(form={}, errors={}, checked=[]))
    try:
        body = forms.load(forms.NoticeForm, request.form, lists=("purposes",))
        notice = notices.publish(
            session=db.session(),
            kind=body["kind"],
            version=body["version"],
            material=body["material"],
            purpose_keys=body["purposes"],
            url=body["url"],
            property_key=body["property"] or None,
            now=now(),
        )
    except (ValidationFailed, NotFound) as invalid:
        db.session.rollback()
        errors = invalid.errors or {"property": [invalid.message]}
        return _render(
            "console/notices.html",
            422,
            **_notices_context(form=request.form, errors=errors, checked=request.form.getlist("purposes")),
        )
    awaiting = consents.count_awaiting_reconsent(session=db.session(), notice=notice)
    _audit(
        "notice_published",
        f"{notice.kind} {notice.version}",
        property=notice.property_key,
        material=notice.material,
        purposes=notice.purposes,
        awaiting_reconsent=awaiting,
    )
    db.session.commit()
    return _render(
        "console/notice_published.html",
        notice=notice,
        awaiting=awaiting,
        catalogue=purposes.catalogue(session=db.session()),
    )


# --- subjects -----------------------------------------------------------------------------------------------------


def _subject_view(kind: str, external_id: str) -> dict[str, Any]:
    settings = runtime().settings
    state = consents.read_state(
        session=db.session(),
        kind=kind,
        external_id=external_id,
        rules=runtime().rules,
        now=now(),
        pepper=settings.erasure_pepper,
    )
    history, more = consents.list_events(
        session=db.session(), kind=kind, external_id=external_id, purpose=None, limit=HISTORY_LIMIT, cursor=None
    )
    scopes = _current().scopes
    return {
        "kind": kind,
        "subject_id": external_id,
        "state": state,
        "history": history,
        "more": more is not None,
        # An erased identifier has no history left under it: the page says it was erased, not "nothing recorded".
        "erasure": erasing.recorded_erasure(
            session=db.session(), kind=kind, external_id=external_id, pepper=settings.erasure_pepper
        ),
        "may_export": Scope.SUBJECTS_EXPORT.value in scopes,
        "may_erase": Scope.SUBJECTS_ERASE.value in scopes,
    }


@blp.route("/subjects")
def subjects_page():
    context: dict[str, Any] = {
        "kinds": [k.value for k in SubjectKind],
        "errors": {},
        "kind": "customer",
        "subject_id": "",
    }
    if request.args.get("id"):
        try:
            body = forms.load(forms.SubjectForm, request.args)
        except ValidationFailed as invalid:
            return _render("console/subjects.html", 422, **context, errors=invalid.errors)
        context.update(_subject_view(body["kind"], body["id"]))
    return _render("console/subjects.html", **context)


class MissingScope(ServiceError):
    status, code = 403, "forbidden"


def _require(scope: Scope) -> None:
    """Export and erasure also need their own scope on the admin key, as they do in the API."""
    if scope.value not in _current().scopes:
        raise MissingScope(f"This key lacks the {scope.value!r} scope.")


@blp.route("/subjects/export", methods=["POST"])
def export_subject():
    body = forms.load(forms.SubjectForm, request.form)
    _require(Scope.SUBJECTS_EXPORT)
    data = export(
        session=db.session(),
        kind=body["kind"],
        external_id=body["id"],
        rules=runtime().rules,
        pepper=runtime().settings.erasure_pepper,
        now=now(),
    )
    document = json.dumps(ExportSchema().dump(data), indent=2, ensure_ascii=False)
    _audit("subject_exported", f"{body['kind']}:{body['id']}", events=len(data["events"]))
    db.session.commit()
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", body["id"])[:80]
    response = Response(document, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="subject-{body["kind"]}-{safe}.json"'
    return response


@blp.route("/subjects/erase", methods=["POST"])
def erase_subject():
    try:
        body = forms.load(forms.ErasureForm, request.form)
    except ValidationFailed as invalid:
        kind, external_id = request.form.get("kind", "customer"), request.form.get("id", "")
        body_ok = forms.SubjectForm().validate({"kind": kind, "id": external_id}) == {}
        context = {
            "kinds": [k.value for k in SubjectKind],
            "errors": invalid.errors,
            "kind": kind,
            "subject_id": external_id,
        }
        if body_ok:
            context.update(_subject_view(kind, external_id))
        return _render("console/subjects.html", 422, **context)
    _require(Scope.SUBJECTS_ERASE)
    current = _current()
    receipt = erasing.erase_subject(
        session=db.session(),
        kind=body["kind"],
        external_id=body["id"],
        pepper=runtime().settings.erasure_pepper,
        now=now(),
        operator=erasing.Operator(key_id=current.key_id, actor=current.actor),
    )
    return _render("console/erased.html", receipt=receipt)


# --- webhooks -----------------------------------------------------------------------------------------------------


def _webhooks_context(**extra: Any) -> dict[str, Any]:
    return {
        "endpoints": webhooks.list_endpoints(session=db.session()),
        "recent": deliveries.list_deliveries(session=db.session(), limit=DELIVERY_LIMIT),
        "failed": deliveries.list_deliveries(session=db.session(), status=DeliveryStatus.FAILED, limit=DELIVERY_LIMIT),
        "message": None,
        **_webhook_form(None),
        **extra,
    }


@blp.route("/webhooks", methods=["GET", "POST"])
def webhooks_page():
    """The endpoints and their deliveries; a POST adds an endpoint and shows its signing secret this once."""
    if request.method == "GET":
        return _render("console/webhooks.html", **_webhooks_context())
    settings = runtime().settings
    try:
        body = forms.load(forms.WebhookForm, request.form, lists=("event_types",))
        # The API's rules: webhooks.service checks the URL (private and loopback targets by the same setting).
        endpoint, secret = webhooks.create_endpoint(
            session=db.session(),
            url=body["url"],
            event_types=body["event_types"],
            description=body["description"],
            cipher=SecretCipher(settings.key_encryption_keys),
            allow_private=settings.webhook_allow_private_targets,
            now=now(),
        )
    except ValidationFailed as invalid:
        db.session.rollback()
        context = _webhooks_context(
            **_webhook_form(None, form=request.form, checked=request.form.getlist("event_types"), errors=invalid.errors)
        )
        return _render("console/webhooks.html", 422, **context)
    _audit("webhook_created", endpoint.id, url=endpoint.url, event_types=endpoint.event_types)
    db.session.commit()
    return _render("console/webhook_created.html", 201, endpoint=endpoint, secret=secret)


@blp.route("/webhooks/<string(maxlength=40):webhook_id>", methods=["GET", "POST"])
def webhook_page(webhook_id: str) -> ResponseReturnValue:
    """One endpoint's URL, events and description to change; enabling, disabling and deleting are forms of their own."""
    endpoint = webhooks.get(session=db.session(), endpoint_id=webhook_id)
    if request.method == "GET":
        return _render("console/webhook.html", endpoint=endpoint, **_webhook_form(endpoint))
    try:
        body = forms.load(forms.WebhookForm, request.form, lists=("event_types",))
        changes = {name: body[name] for name in ("url", "event_types", "description")}
        before = {name: getattr(endpoint, name) for name in changes}
        webhooks.update_endpoint(
            session=db.session(),
            endpoint_id=endpoint.id,
            changes=changes,
            allow_private=runtime().settings.webhook_allow_private_targets,
            now=now(),
        )
    except ValidationFailed as invalid:
        db.session.rollback()
        endpoint = webhooks.get(session=db.session(), endpoint_id=webhook_id)
        return _render(
            "console/webhook.html",
            422,
            endpoint=endpoint,
            **_webhook_form(
                endpoint, form=request.form, checked=request.form.getlist("event_types"), errors=invalid.errors
            ),
        )
    changed = {name: getattr(endpoint, name) for name, value in before.items() if getattr(endpoint, name) != value}
    _audit("webhook_updated", endpoint.id, **changed)
    db.session.commit()
    return _render("console/webhook.html", endpoint=endpoint, **_webhook_form(endpoint), message="Saved.")


def _webhook_form(
    endpoint: WebhookEndpoint | None,
    *,
    form: Mapping[str, str] | None = None,
    checked: list[str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The endpoint form's values: what the operator sent (a refused form), else what is stored (or nothing)."""
    stored = {"url": endpoint.url, "description": endpoint.description} if endpoint is not None else {}
    return {
        "form": form if form is not None else stored,
        "checked": checked if checked is not None else (endpoint.event_types if endpoint is not None else []),
        "errors": errors or {},
        "event_types": [event_type.value for event_type in WebhookEventType],
        "allow_private": runtime().settings.webhook_allow_private_targets,
    }


@blp.route("/webhooks/<string(maxlength=40):webhook_id>/enabled", methods=["POST"])
def switch_webhook(webhook_id: str) -> ResponseReturnValue:
    """Disable an endpoint (it gets no new events; its pending deliveries wait) or enable it again."""
    body = forms.load(forms.WebhookSwitchForm, request.form)
    endpoint = webhooks.update_endpoint(
        session=db.session(),
        endpoint_id=webhook_id,
        changes={"enabled": body["enabled"]},
        allow_private=runtime().settings.webhook_allow_private_targets,
        now=now(),
    )
    _audit("webhook_enabled" if endpoint.enabled else "webhook_disabled", endpoint.id, url=endpoint.url)
    db.session.commit()
    state = "enabled" if endpoint.enabled else "disabled: it gets no new events, and its pending deliveries wait"
    return _render("console/webhooks.html", **_webhooks_context(message=f"{endpoint.url} is {state}."))


@blp.route("/webhooks/<string(maxlength=40):webhook_id>/delete", methods=["POST"])
def delete_webhook(webhook_id: str) -> ResponseReturnValue:
    """Remove an endpoint and its deliveries (the API's DELETE); the events stay for the other endpoints."""
    endpoint = webhooks.delete_endpoint(session=db.session(), endpoint_id=webhook_id)
    _audit("webhook_deleted", endpoint.id, url=endpoint.url, event_types=endpoint.event_types)
    db.session.commit()
    return _render("console/webhooks.html", **_webhooks_context(message=f"Deleted {endpoint.url} and its deliveries."))


@blp.route("/webhooks/replay", methods=["POST"])
def replay_deliveries():
    body = forms.load(forms.ReplayForm, request.form)
    ids = [body["delivery"]] if body["delivery"] else []
    replayed = deliveries.replay(session=db.session(), ids=ids, failed=body["failed"], now=now())
    _audit("webhooks_replayed", body["delivery"] or "every failed delivery", replayed=replayed)
    db.session.commit()
    return _render("console/webhooks.html", **_webhooks_context(message=f"{replayed} deliveries queued again."))


# --- compliance scans ---------------------------------------------------------------------------------------------


@blp.route("/properties/<string(maxlength=40):property_id>/scans", methods=["GET", "POST"])
def scans_page(property_id: str) -> ResponseReturnValue:
    """The property's scans, newest first, and a form that queues one for the scan worker."""
    prop = properties.get(session=db.session(), property_id=property_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        body = forms.load(forms.ScanForm, request.form)
        urls = [line.strip() for line in body["urls"].splitlines() if line.strip()]
        try:
            scan = scans.create_scan(
                session=db.session(),
                property_id=prop.id,
                urls=urls,
                options={"max_pages": body["max_pages"]},
                requested_by="console",
                now=now(),
            )
        except ValidationFailed as invalid:
            errors = invalid.errors
            db.session.rollback()
        else:
            _audit("scan_started", scan.id, property=prop.id, urls=urls)
            db.session.commit()
            return redirect(url_for("console.scan_page", scan_id=scan.id), 303)
    return _render(
        "console/scans.html",
        422 if errors else 200,
        prop=prop,
        scans=scans.list_scans(session=db.session(), property_id=prop.id),
        errors=errors,
        urls_text=request.form.get("urls", "") if errors else "",
    )


@blp.route("/scans/<string(maxlength=40):scan_id>")
def scan_page(scan_id: str) -> ResponseReturnValue:
    """One scan: its progress, or its findings, the banner in the three states, and what changed since the last."""
    scan = scans.get_scan(session=db.session(), scan_id=scan_id)
    assessment = Assessment.from_json(scan.assessment) if scan.assessment is not None else None
    return _render(
        "console/scan.html",
        scan=scan,
        prop=properties.get(session=db.session(), property_id=scan.property_id),
        assessment=assessment,
        previous=comparison_with_previous(session=db.session(), scan=scan),
        screenshots=scans.screenshot_states(session=db.session(), scan_id=scan.id),
    )


@blp.route("/scans/<string(maxlength=40):scan_id>/screenshots/<string(maxlength=40):state>.png")
def scan_screenshot(scan_id: str, state: str) -> Response:
    png = scans.screenshot(session=db.session(), scan_id=scan_id, state=state)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


# --- audit log ----------------------------------------------------------------------------------------------------


@blp.route("/audit")
def audit_page():
    return _render("console/audit.html", entries=audit.list_entries(session=db.session()))


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@blp.app_template_filter("utc")
def _utc_filter(moment: datetime | None) -> str:
    return utc(moment) if moment else "—"


@blp.app_template_filter("day")
def _day_filter(moment: datetime | None) -> str:
    """The UTC day alone, where a table has no room for the time (the full time is in its title)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "—"


# The privacy request pages live in their own module; importing it adds their routes to this blueprint.
from consent_service.console import privacy_requests  # noqa: E402, F401
