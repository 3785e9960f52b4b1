"""HTTP endpoints of notice versions (admin)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.consents import service as consents
from consent_service.extensions import db
from consent_service.notices import service as notices
from consent_service.notices.models import Notice
from consent_service.notices.schemas import NoticeListSchema, NoticeQuerySchema, NoticeSchema
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint("notices", __name__, url_prefix="/v1/notices", description="Published notice versions.")


@blp.route("")
class Notices(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(NoticeQuerySchema, location="query")
    @blp.response(200, NoticeListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, object]:
        """Published versions, newest first, with how many consents each puts up for reconsent."""
        found = notices.list_notices(session=db.session(), property_key=query.get("property"), kind=query.get("kind"))
        return {"notices": [_with_count(notice) for notice in found]}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(NoticeSchema)
    @blp.response(201, NoticeSchema)
    def post(self, body: dict[str, Any]) -> dict[str, object]:
        """Publish a version; a material one asks again for the consents of the purposes it names."""
        notice = notices.publish(
            session=db.session(),
            kind=body["kind"],
            version=body["version"],
            material=body["material"],
            purpose_keys=body["purposes"],
            url=body["url"],
            property_key=body.get("property_key"),
            now=now(),
        )
        db.session.commit()
        return _with_count(notice)


def _with_count(notice: Notice) -> dict[str, object]:
    fields = ("id", "property_key", "kind", "version", "material", "purposes", "url", "published_at")
    return {field: getattr(notice, field) for field in fields} | {
        "awaiting_reconsent": consents.count_awaiting_reconsent(session=db.session(), notice=notice)
    }
