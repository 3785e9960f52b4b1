"""Wire format of properties (admin)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import (
    LANGUAGE,
    ORIGIN,
    PURPOSE_KEY,
    Changes,
    JsonBoolean,
    JsonInteger,
    OneOfLater,
    page_url_field,
)
from consent_service.properties.service import MAX_LIFETIME_DAYS, MAX_ORIGINS, MAX_PURPOSES
from consent_service.texts import banner as builtin_texts
from consent_service.vocabulary import Framework

# The banner texts' rules (texts.banner.validate_overrides, which the console shares), stated here for the document.
MAX_LANGUAGES = 50
MAX_TEXT_KEYS = 100
MAX_TEXT_LENGTH = 2000
# The IAB's list holds about a thousand vendors; vendor ids are 16-bit in a TC string.
MAX_TCF_VENDORS = 5000
MAX_VENDOR_ID = 65535


class PurposeTextsSchema(ma.Schema):
    name = fields.String(validate=validate.Length(1, MAX_TEXT_LENGTH))
    description = fields.String(validate=validate.Length(1, MAX_TEXT_LENGTH))


class LanguageTextsSchema(ma.Schema):
    ui = fields.Dict(
        keys=fields.String(validate=OneOfLater(builtin_texts.ui_keys, error="Unknown text; known: {choices}.")),
        values=fields.String(validate=validate.Length(1, MAX_TEXT_LENGTH)),
        validate=validate.Length(max=MAX_TEXT_KEYS),
    )
    purposes = fields.Dict(
        keys=fields.String(validate=PURPOSE_KEY),
        values=fields.Nested(PurposeTextsSchema),
        validate=validate.Length(max=MAX_TEXT_KEYS),
    )


class PropertySchema(ma.Schema):
    """Defaults of omitted fields live in the service (properties.service.create_property)."""

    id = fields.String(dump_only=True)
    publishable_key = fields.String(dump_only=True, metadata={"description": "pk_...: for the banner script tag"})
    name = fields.String(required=True, validate=validate.Length(1, 200))
    allowed_origins = fields.List(
        # Bounded here like every input; how many a property needs is the service's rule (allowed_origins),
        # shared with the console. minItems documents that rule.
        fields.String(validate=[validate.Length(1, 300), ORIGIN]),
        required=True,
        validate=validate.Length(max=MAX_ORIGINS),
        metadata={
            "description": "Origins allowed to call the banner endpoints, e.g. https://shop.example",
            "minItems": 1,
        },
    )
    default_language = fields.String(validate=LANGUAGE)
    purposes = fields.List(
        fields.String(validate=PURPOSE_KEY),
        validate=validate.Length(1, MAX_PURPOSES),
        metadata={"description": "Purpose keys shown in the banner, in order; necessary is always included."},
    )
    texts = fields.Dict(
        keys=fields.String(validate=LANGUAGE),
        values=fields.Nested(LanguageTextsSchema),
        validate=validate.Length(max=MAX_LANGUAGES),
        metadata={"description": 'Overrides per language: {"de": {"ui": {"title": "..."}, "purposes": {...}}}'},
    )
    notice_version = fields.String(required=True, validate=validate.Length(1, 64))
    notice_url = page_url_field(required=True)
    cookie_domain = fields.String(allow_none=True, validate=validate.Length(1, 255))
    accept_lifetime_days = fields.Integer(validate=validate.Range(1, MAX_LIFETIME_DAYS))
    reject_lifetime_days = fields.Integer(validate=validate.Range(1, MAX_LIFETIME_DAYS))
    gpc_honoured = JsonBoolean()
    frameworks = fields.List(
        fields.String(validate=validate.OneOf([framework.value for framework in Framework])),
        validate=validate.Length(max=len(Framework)),
        metadata={
            "description": "Industry signals the banner provides: gpp (IAB GPP), tcf (IAB TCF v2.3), microsoft_uet, "
            "clarity; each once. tcf needs a stored Global Vendor List (flask tcf gvl update). Default: none.",
            "uniqueItems": True,
        },
    )
    tcf_vendors = fields.List(
        JsonInteger(validate=validate.Range(1, MAX_VENDOR_ID)),
        validate=validate.Length(max=MAX_TCF_VENDORS),
        metadata={
            "description": "Ids of the Global Vendor List's vendors the property works with (TCF), each a vendor "
            "of the current list; stored sorted, without repeats. Default: none.",
        },
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PropertyListSchema(ma.Schema):
    properties = fields.List(fields.Nested(PropertySchema), required=True)


class PropertyPatchSchema(Changes, PropertySchema):
    """Every field optional, at least one sent: only the fields sent change."""
