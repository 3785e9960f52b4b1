"""Wire format of notice versions (admin)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import PURPOSE_KEY, JsonBoolean, page_url_field
from consent_service.notices.service import KINDS


class NoticeSchema(ma.Schema):
    id = fields.String(dump_only=True)
    property = fields.String(
        attribute="property_key",
        allow_none=True,
        validate=validate.Length(1, 64),
        metadata={"description": "Publishable key of the property; omit for a notice covering everything."},
    )
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    version = fields.String(required=True, validate=validate.Length(1, 64))
    material = JsonBoolean(required=True, metadata={"description": "Material changes put consents up for reconsent."})
    purposes = fields.List(fields.String(validate=PURPOSE_KEY), required=True, validate=validate.Length(max=50))
    url = page_url_field(required=True)
    published_at = fields.DateTime(dump_only=True)
    awaiting_reconsent = fields.Integer(
        dump_only=True, metadata={"description": "Current consents given before this material change."}
    )


class NoticeQuerySchema(ma.Schema):
    property = fields.String(validate=validate.Length(1, 64))
    kind = fields.String(validate=validate.OneOf(KINDS))


class NoticeListSchema(ma.Schema):
    notices = fields.List(fields.Nested(NoticeSchema), required=True)
