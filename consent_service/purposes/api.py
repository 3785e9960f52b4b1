"""HTTP endpoints of the purpose catalogue (admin)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.purposes import service as purposes
from consent_service.purposes.models import Purpose
from consent_service.purposes.schemas import PurposeListSchema, PurposeSchema
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint("purposes", __name__, url_prefix="/v1/purposes", description="The purpose catalogue.")


@blp.route("")
class Purposes(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, PurposeListSchema)
    def get(self) -> dict[str, object]:
        """Every purpose, built-in ones first."""
        return {"purposes": purposes.list_purposes(session=db.session())}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(PurposeSchema)
    @blp.response(201, PurposeSchema)
    def post(self, body: dict[str, Any]) -> Purpose:
        """Add an operator-defined purpose."""
        purpose = purposes.create_purpose(
            session=db.session(),
            key=body["key"],
            name=body["name"],
            description=body["description"],
            category=body["category"],
            legal_basis=body["legal_basis"],
            refusable=body["refusable"],
            defaults=body["defaults"],
            now=now(),
        )
        db.session.commit()
        return purpose
