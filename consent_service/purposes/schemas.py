"""Wire format of the purpose catalogue."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import PURPOSE_KEY, JsonBoolean
from consent_service.vocabulary import PURPOSE_CATEGORIES as CATEGORIES
from consent_service.vocabulary import Decision, LegalBasis, Regime


class PurposeSchema(ma.Schema):
    key = fields.String(required=True, validate=PURPOSE_KEY)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    legal_basis = fields.String(
        load_default=LegalBasis.CONSENT.value, validate=validate.OneOf([basis.value for basis in LegalBasis])
    )
    refusable = JsonBoolean(load_default=True)
    defaults = fields.Dict(
        keys=fields.String(validate=validate.OneOf([regime.value for regime in Regime])),
        values=fields.String(validate=validate.OneOf([decision.value for decision in Decision])),
        validate=validate.Length(max=len(Regime)),
        load_default=dict,
        metadata={"description": "Decision per regime when the subject has said nothing; denied if omitted."},
    )
    built_in = JsonBoolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class PurposeListSchema(ma.Schema):
    purposes = fields.List(fields.Nested(PurposeSchema), required=True)
