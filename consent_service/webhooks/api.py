"""HTTP endpoints of webhook endpoints (admin)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookEndpoint
from consent_service.webhooks.schemas import WebhookCreatedSchema, WebhookListSchema, WebhookPatchSchema, WebhookSchema
from consent_service.webhooks.signing import SecretCipher

blp = Blueprint(
    "webhooks", __name__, url_prefix="/v1/webhooks", description="Endpoints that receive signed consent change events."
)


@blp.route("")
class Webhooks(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, WebhookListSchema)
    def get(self) -> dict[str, object]:
        """Every webhook endpoint (never their secrets)."""
        return {"webhooks": webhooks.list_endpoints(session=db.session())}

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(WebhookSchema)
    @blp.response(201, WebhookCreatedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, object]:
        """Add an endpoint; the answer carries its signing secret, shown this once."""
        settings = runtime().settings
        endpoint, secret = webhooks.create_endpoint(
            session=db.session(),
            cipher=SecretCipher(settings.key_encryption_keys),
            allow_private=settings.webhook_allow_private_targets,
            now=now(),
            **body,
        )
        db.session.commit()
        return {"endpoint": endpoint, "secret": secret}


@blp.route("/<string(maxlength=40):webhook_id>")
class WebhookById(MethodView):
    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id: str) -> WebhookEndpoint:
        """One webhook endpoint."""
        return webhooks.get(session=db.session(), endpoint_id=webhook_id)

    @require_scope(blp, Scope.ADMIN)
    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    def patch(self, body: dict[str, Any], webhook_id: str) -> WebhookEndpoint:
        """Change some fields; disabling pauses deliveries, enabling resumes them."""
        endpoint = webhooks.update_endpoint(
            session=db.session(),
            endpoint_id=webhook_id,
            changes=body,
            allow_private=runtime().settings.webhook_allow_private_targets,
            now=now(),
        )
        db.session.commit()
        return endpoint

    @require_scope(blp, Scope.ADMIN)
    @blp.response(200, WebhookSchema)
    def delete(self, webhook_id: str) -> WebhookEndpoint:
        """Remove an endpoint and its deliveries; answers with the endpoint as it was."""
        endpoint = webhooks.delete_endpoint(session=db.session(), endpoint_id=webhook_id)
        db.session.commit()
        return endpoint
