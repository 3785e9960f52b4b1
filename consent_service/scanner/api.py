"""HTTP endpoints of a property's cookie declarations and compliance scans (admin)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.flows.scan_property import comparison_with_previous
from consent_service.scanner import service as scanner
from consent_service.scanner.models import CookieDeclaration, Scan
from consent_service.scanner.schemas import (
    DeclarationListSchema,
    DeclarationPatchSchema,
    DeclarationSchema,
    ScanListSchema,
    ScanRequestSchema,
    ScanSchema,
    ScanSummarySchema,
)
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint(
    "scanner",
    __name__,
    url_prefix="/v1/properties/<string(maxlength=40):property_id>",
    description="The cookies a property declares, and scans proving what its pages set before and after a choice.",
)

SCANS_LISTED = 50


@blp.route("/cookie-declarations")
class Declarations(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, DeclarationListSchema)
    def get(self, property_id: str) -> dict[str, object]:
        """The property's declared cookies, by purpose and name."""
        return {"declarations": scanner.list_declarations(session=db.session(), property_id=property_id)}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(DeclarationSchema)
    @blp.response(201, DeclarationSchema)
    def post(self, body: dict[str, Any], property_id: str) -> CookieDeclaration:
        """Declare a cookie (or a family of them, by glob); the banner lists it under its purpose."""
        declaration = scanner.create_declaration(session=db.session(), property_id=property_id, fields=body, now=now())
        db.session.commit()
        return declaration

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(DeclarationListSchema)
    @blp.response(200, DeclarationListSchema)
    def put(self, body: dict[str, Any], property_id: str) -> dict[str, object]:
        """Replace the whole declaration with this list; nothing changes if any item is refused."""
        declared = scanner.replace_declarations(
            session=db.session(), property_id=property_id, declarations=body["declarations"], now=now()
        )
        db.session.commit()
        return {"declarations": declared}


@blp.route("/cookie-declarations/<string(maxlength=40):declaration_id>")
class DeclarationById(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, DeclarationSchema)
    def get(self, property_id: str, declaration_id: str) -> CookieDeclaration:
        """One declared cookie."""
        return scanner.get_declaration(session=db.session(), property_id=property_id, declaration_id=declaration_id)

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(DeclarationPatchSchema)
    @blp.response(200, DeclarationSchema)
    def patch(self, body: dict[str, Any], property_id: str, declaration_id: str) -> CookieDeclaration:
        """Change some fields; the fields not sent stay as they are."""
        declaration = scanner.update_declaration(
            session=db.session(), property_id=property_id, declaration_id=declaration_id, changes=body, now=now()
        )
        db.session.commit()
        return declaration

    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, DeclarationSchema)
    def delete(self, property_id: str, declaration_id: str) -> CookieDeclaration:
        """Remove a declared cookie; answers with it as it was."""
        declaration = scanner.delete_declaration(
            session=db.session(), property_id=property_id, declaration_id=declaration_id
        )
        db.session.commit()
        return declaration


@blp.route("/scans")
class Scans(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, ScanListSchema)
    def get(self, property_id: str) -> dict[str, object]:
        """The property's latest scans, newest first, without their assessments."""
        return {"scans": scanner.list_scans(session=db.session(), property_id=property_id, limit=SCANS_LISTED)}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(ScanRequestSchema)
    @blp.response(202, ScanSummarySchema)
    def post(self, body: dict[str, Any], property_id: str) -> Scan:
        """Queue a scan of these pages; a scanner worker runs it. 409 while another scan is queued or running."""
        urls = body.pop("urls")
        scan = scanner.create_scan(
            session=db.session(), property_id=property_id, urls=urls, options=body, requested_by="api", now=now()
        )
        db.session.commit()
        return scan


@blp.route("/scans/<string(maxlength=40):scan_id>")
class ScanById(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, ScanSchema)
    def get(self, property_id: str, scan_id: str) -> dict[str, object]:
        """A scan's status and progress; once done, its counts, findings and whole assessment."""
        scan = scanner.get_scan(session=db.session(), property_id=property_id, scan_id=scan_id)
        previous = comparison_with_previous(session=db.session(), scan=scan)
        return {
            "scan": scan,
            "screenshots": scanner.screenshot_states(session=db.session(), scan_id=scan.id),
            "comparison": {"previous_scan": previous[0], **previous[1].to_json()} if previous else None,
        }


@blp.route("/scans/<string(maxlength=40):scan_id>/screenshots/<string(maxlength=20):state>")
class ScanScreenshot(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.doc(
        responses={
            "200": {
                "description": "The first page as it looked in this state (no_choice, rejected, accepted)",
                "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            },
            "404": {
                "description": "No such scan, or no screenshot in this state",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        }
    )
    def get(self, property_id: str, scan_id: str, state: str) -> Response:
        """A screenshot of a done scan."""
        scan = scanner.get_scan(session=db.session(), property_id=property_id, scan_id=scan_id)
        png = scanner.screenshot(session=db.session(), scan_id=scan.id, state=state)
        response = Response(png, mimetype="image/png")
        response.cache_control.private = True
        return response
