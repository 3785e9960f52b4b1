"""HTTP endpoints of properties (admin)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.properties.models import Property
from consent_service.properties.schemas import PropertyListSchema, PropertyPatchSchema, PropertySchema
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint(
    "properties", __name__, url_prefix="/v1/properties", description="Websites and apps showing the banner."
)


@blp.route("")
class Properties(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, PropertyListSchema)
    def get(self) -> dict[str, object]:
        """Every property."""
        return {"properties": properties.list_properties(session=db.session())}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(PropertySchema)
    @blp.response(201, PropertySchema)
    def post(self, body: dict[str, Any]) -> Property:
        """Add a property; the answer carries its publishable key."""
        prop = properties.create_property(session=db.session(), now=now(), **body)
        db.session.commit()
        return prop


@blp.route("/<string(maxlength=40):property_id>")
class PropertyById(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, PropertySchema)
    def get(self, property_id: str) -> Property:
        """One property."""
        return properties.get(session=db.session(), property_id=property_id)

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(PropertyPatchSchema)
    @blp.response(200, PropertySchema)
    def patch(self, body: dict[str, Any], property_id: str) -> Property:
        """Change some fields of a property; the fields not sent stay as they are."""
        prop = properties.update_property(session=db.session(), property_id=property_id, changes=body, now=now())
        db.session.commit()
        return prop
