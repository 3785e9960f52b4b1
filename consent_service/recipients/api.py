"""HTTP endpoints of recipients and their safeguards (admin)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import current_principal, require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.recipients import service as recipients
from consent_service.recipients.models import Recipient
from consent_service.recipients.schemas import RecipientListSchema, RecipientPatchSchema, RecipientSchema
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

blp = Blueprint(
    "recipients",
    __name__,
    url_prefix="/v1/recipients",
    description="Recipients of transfers and their safeguards (DPF, SCC, BCR).",
)


def _actor() -> dict[str, Any]:
    """Who the audit log names for a change: the key's id, name and visible prefix, never the secret."""
    principal = current_principal()
    return {"actor_key_id": principal.key_id, "actor": f"{principal.name} ({principal.prefix})"}


@blp.route("")
class Recipients(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, RecipientListSchema)
    def get(self) -> dict[str, object]:
        """Every recipient, by key."""
        return {"recipients": recipients.list_recipients(session=db.session())}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(RecipientSchema)
    @blp.response(201, RecipientSchema)
    def post(self, body: dict[str, Any]) -> Recipient:
        """Register a recipient; transfer checks may name it from now on."""
        recipient = recipients.create_recipient(session=db.session(), now=now(), **body, **_actor())
        db.session.commit()
        return recipient


@blp.route("/<string(maxlength=64):key>")
class RecipientByKey(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, RecipientSchema)
    def get(self, key: str) -> Recipient:
        """One recipient."""
        return recipients.get(session=db.session(), key=key)

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(RecipientPatchSchema)
    @blp.response(200, RecipientSchema)
    def patch(self, body: dict[str, Any], key: str) -> Recipient:
        """Change some fields; the fields not sent stay. Later checks answer by the new values; recorded
        consents are untouched, and the audit log keeps the values before the change."""
        recipient = recipients.update_recipient(session=db.session(), key=key, changes=body, now=now(), **_actor())
        db.session.commit()
        return recipient
