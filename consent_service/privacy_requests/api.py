"""HTTP endpoints of the operator's privacy request queue (admin): file, list, read, extend or refuse, systems'
reports, receipts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import current_principal, require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.flows.extend_privacy_request import extend_privacy_request
from consent_service.flows.file_privacy_request import file_privacy_request
from consent_service.flows.refuse_privacy_request import refuse_privacy_request
from consent_service.flows.report_system import report_system
from consent_service.privacy_requests import receipts
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.privacy_requests.schemas import (
    ActionSchema,
    FileRequestSchema,
    ListQuerySchema,
    ReceiptSchema,
    RequestDetailSchema,
    RequestPageSchema,
    RequestSchema,
    SystemReportSchema,
)
from consent_service.rights.receipts import Controller
from consent_service.runtime import app_signer, runtime
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint(
    "privacy_requests",
    __name__,
    url_prefix="/v1/privacy-requests",
    description="Privacy requests of people: the queue by due date, extensions, refusals, systems' reports.",
)
REQUEST_PATH = "/<string(maxlength=40):request_id>"


def _operator() -> str:
    return f"operator:{current_principal().name}"[:200]


@blp.route("")
class PrivacyRequests(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, RequestPageSchema)
    def get(self, query: dict[str, Any]) -> dict[str, object]:
        """The queue by due date (then id), soonest first; filter by status or deadline."""
        page = privacy_requests.list_requests(
            session=db.session(),
            status=query["status"],
            due_before=query["due_before"],
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {"requests": page.requests, "next_cursor": page.next_cursor}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(FileRequestSchema)
    @blp.response(201, RequestSchema)
    def post(self, body: dict[str, Any]) -> PrivacyRequest:
        """File a request received by phone, mail or in person. `verified: true` runs it at once; otherwise the
        person gets the verification link (an opt-out of sale needs none and runs at once)."""
        settings = runtime().settings
        return file_privacy_request(
            session=db.session(),
            rules=runtime().rules,
            settings=settings,
            signer=app_signer(),
            base_url=settings.token_issuer,
            property_key=body["property"],
            type=body["type"],
            subject_kind=body["subject"]["kind"].value,
            subject_id=body["subject"]["id"],
            contact=body["contact"],
            country=body["country"],
            region=body["region"],
            language=body["language"],
            channel="api",
            details={key: getattr(value, "value", value) for key, value in body["details"].items()},
            agent=body.get("agent"),
            verified=body["verified"],
            actor=_operator(),
            evidence=None,
            now=now(),
        )


@blp.route(REQUEST_PATH)
class PrivacyRequestById(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, RequestDetailSchema)
    def get(self, request_id: str) -> dict[str, object]:
        """One request with its steps (who did what, when), its systems and where it stands against its deadline."""
        return _detail(request_id)

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(ActionSchema)
    @blp.response(200, RequestDetailSchema)
    def patch(self, body: dict[str, Any], request_id: str) -> dict[str, object]:
        """Extend the deadline by the law's extension (once) or refuse, with the reason the person is told."""
        if body["action"] == "extend":
            extend_privacy_request(
                session=db.session(),
                rules=runtime().rules.privacy_requests,
                request_id=request_id,
                reason=body["reason"],
                actor=_operator(),
                now=now(),
            )
        else:
            settings = runtime().settings
            refuse_privacy_request(
                session=db.session(),
                settings=settings,
                signer=app_signer(),
                base_url=settings.token_issuer,
                request_id=request_id,
                reason=body["reason"],
                actor=_operator(),
                now=now(),
            )
        return _detail(request_id)


@blp.route(f"{REQUEST_PATH}/systems/<string(maxlength=64):name>", methods=["POST"])
@require_scope(blp, Scope.ADMIN)
@blp.arguments(SystemReportSchema)
@blp.response(200, RequestDetailSchema)
def report(body: dict[str, Any], request_id: str, name: str) -> dict[str, object]:
    """A system reports `done` or `failed`; the request completes when every system is done."""
    settings = runtime().settings
    report_system(
        session=db.session(),
        settings=settings,
        signer=app_signer(),
        base_url=settings.token_issuer,
        request_id=request_id,
        name=name,
        status=body["status"],
        detail=body["detail"],
        actor=f"system:{name}",
        now=now(),
    )
    return _detail(request_id)


@blp.route(f"{REQUEST_PATH}/receipt", methods=["GET"])
@require_scope(blp, Scope.ADMIN)
@blp.response(200, ReceiptSchema)
def receipt(request_id: str) -> dict[str, str]:
    """The signed receipt (JWS, typ privacy-request-receipt+jwt) of the request as it stands; verify with the JWKS."""
    settings = runtime().settings
    signed = receipts.receipt(
        session=db.session(),
        keystore=runtime().keystore,
        controller=Controller(
            name=settings.controller_name, contact=settings.controller_contact, issuer=settings.token_issuer
        ),
        request_id=request_id,
        now=now(),
    )
    db.session.commit()  # the first signature ever creates the first signing key
    return {"receipt": signed}


def _detail(request_id: str) -> dict[str, object]:
    session = db.session()
    request = privacy_requests.get(session=session, request_id=request_id)
    return {
        "request": request,
        "due_state": privacy_requests.due_state(request, rules=runtime().rules.privacy_requests, now=now()),
        "steps": privacy_requests.steps_of(session=session, request_id=request_id),
        "systems": privacy_requests.systems_of(session=session, request_id=request_id),
    }
