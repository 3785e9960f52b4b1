"""Wire format of recipients (admin)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import COUNTRY, RECIPIENT_KEY, Changes, JsonBoolean


class RecipientSchema(ma.Schema):
    key = fields.String(
        required=True,
        validate=RECIPIENT_KEY,
        metadata={"description": "Chosen by the operator; what a transfer check names."},
    )
    name = fields.String(required=True, validate=validate.Length(1, 200))
    country = fields.String(
        required=True,
        validate=COUNTRY,
        metadata={"description": "Where the recipient receives the data (ISO 3166-1 alpha-2)."},
    )
    dpf_certified = JsonBoolean(
        load_default=False,
        metadata={"description": "Certified under the EU-US Data Privacy Framework (US recipients only)."},
    )
    scc = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "The day standard contractual clauses were signed with the recipient; null: none."},
    )
    bcr = JsonBoolean(
        load_default=False, metadata={"description": "Approved binding corporate rules cover the transfer."}
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True, metadata={"description": "When a field last changed."})


class RecipientPatchSchema(Changes, RecipientSchema):
    """Every field but the key optional, at least one sent: only the fields sent change."""

    class Meta:
        exclude = ("key",)


class RecipientListSchema(ma.Schema):
    recipients = fields.List(fields.Nested(RecipientSchema), required=True)
