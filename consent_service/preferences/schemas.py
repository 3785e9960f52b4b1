"""Wire format of the preference-link and double opt-in endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.consents.schemas import EvidenceInSchema, SubjectStateSchema
from consent_service.fields import PURPOSE_KEY, country_field, region_field
from consent_service.preferences.service import DEFAULT_UNSUBSCRIBE
from consent_service.subjects.schemas import SubjectId

LANGUAGE = fields.String(
    validate=validate.Length(2, 35),
    metadata={"description": "The page's language (en, de, fr; others fall back to the browser's, then en)."},
)


class PreferenceLinkRequestSchema(ma.Schema):
    customer_id = SubjectId(required=True, validate=validate.Length(1, 255))
    language = LANGUAGE
    notice_version = fields.String(
        validate=validate.Length(1, 64),
        metadata={
            "description": "The notice choices made through the links are given under; "
            "default: the customer's latest recorded one (required without one)."
        },
    )
    purposes = fields.List(
        fields.String(validate=PURPOSE_KEY),
        load_default=lambda: list(DEFAULT_UNSUBSCRIBE),
        validate=validate.Length(1, 20),
        metadata={"description": "Communication purposes the one-click link unsubscribes from (default: marketing)."},
    )


class LinkHeadersSchema(ma.Schema):
    """The two header names, spelled exactly as they go on the email."""

    list_unsubscribe = fields.String(attribute="List-Unsubscribe", data_key="List-Unsubscribe", required=True)
    list_unsubscribe_post = fields.String(
        attribute="List-Unsubscribe-Post", data_key="List-Unsubscribe-Post", required=True
    )


class PreferenceLinksSchema(ma.Schema):
    url = fields.String(required=True, metadata={"description": "The preference page (HTML)"})
    expires_at = fields.DateTime(required=True)
    one_click_url = fields.String(required=True, metadata={"description": "RFC 8058 one-click unsubscribe (POST)"})
    one_click_expires_at = fields.DateTime(required=True)
    headers = fields.Nested(
        LinkHeadersSchema, required=True, metadata={"description": "Put these on the email as they are."}
    )


class DoubleOptInRequestSchema(ma.Schema):
    purpose = fields.String(validate=PURPOSE_KEY, load_default="marketing")
    notice_version = fields.String(required=True, validate=validate.Length(1, 64))
    language = LANGUAGE
    country = country_field()
    region = region_field()
    evidence = fields.Nested(EvidenceInSchema)


class DoubleOptInSchema(ma.Schema):
    confirmation_url = fields.String(required=True, metadata={"description": "Email this to the customer"})
    expires_at = fields.DateTime(required=True)
    state = fields.Nested(SubjectStateSchema, required=True)
