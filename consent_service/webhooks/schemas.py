"""Wire format of webhook endpoints (admin)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import WEBHOOK_URL, Changes, JsonBoolean
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks.transport import MAX_URL_LENGTH


class WebhookSchema(ma.Schema):
    """The URL's shape is checked here; whether its address may receive webhooks, in the service
    (webhooks.transport.check_url, which depends on WEBHOOK_ALLOW_PRIVATE_TARGETS)."""

    id = fields.String(dump_only=True, metadata={"description": "wh_..."})
    url = fields.String(
        required=True,
        validate=[validate.Length(1, MAX_URL_LENGTH), WEBHOOK_URL],
        metadata={"description": "An http(s) URL that receives POSTs signed per Standard Webhooks"},
    )
    event_types = fields.List(
        fields.String(validate=validate.OneOf([t.value for t in WebhookEventType])),
        required=True,
        validate=validate.Length(1, len(WebhookEventType)),
        metadata={"description": "The event types this endpoint receives"},
    )
    description = fields.String(validate=validate.Length(0, 200))
    enabled = JsonBoolean(metadata={"description": "A disabled endpoint gets no new events; its pending ones wait"})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        dump_only=True,
        metadata={"description": "whsec_...: the signing secret, shown only in this answer; store it now"},
    )

    @ma.pre_dump
    def _with_secret(self, created: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dumps {"endpoint": WebhookEndpoint, "secret": "whsec_..."}."""
        endpoint = created["endpoint"]
        return {
            **{name: getattr(endpoint, name) for name in self.fields if name != "secret"},
            "secret": created["secret"],
        }


class WebhookListSchema(ma.Schema):
    webhooks = fields.List(fields.Nested(WebhookSchema), required=True)


class WebhookPatchSchema(Changes, WebhookSchema):
    """Every field optional, at least one sent: only the fields sent change."""
