"""Wire format of the public banner endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import COUNTRY, PURPOSE_KEY, REGION, JsonBoolean
from consent_service.scanner.schemas import DeclaredCookieSchema
from consent_service.tokens.schemas import JwkSchema
from consent_service.vocabulary import BANNER_METHODS


class BannerQuerySchema(ma.Schema):
    lang = fields.String(validate=validate.Length(2, 35), metadata={"description": "e.g. de or de-AT"})
    country = fields.String(
        validate=COUNTRY,
        metadata={
            "description": "The page's idea of the visitor's country: it can only make the regime stricter than the "
            "one of the CDN's country header (or the default regime), never laxer."
        },
    )
    region = fields.String(
        validate=REGION,
        metadata={
            "description": "The page's idea of the visitor's ISO 3166-2 region (US-CA): like country, its rules are "
            "used only when at least as protective as those of the CDN's headers (or the default), never laxer."
        },
    )


class ShownPurposeSchema(ma.Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    refusable = JsonBoolean(required=True)
    preselected = JsonBoolean(required=True)


class TokenKeysSchema(ma.Schema):
    issuer = fields.String(required=True, metadata={"description": "The iss of the service's tokens"})
    keys = fields.List(fields.Nested(JwkSchema), required=True, metadata={"description": "The JWKS's keys"})


class FrameworkFileSchema(ma.Schema):
    src = fields.String(required=True, metadata={"description": "Path on this service; the banner prepends its origin"})
    integrity = fields.String(required=True, metadata={"description": "sha384-<base64>, for the integrity attribute"})


class TCFConfigSchema(FrameworkFileSchema):
    cmp_id = fields.Integer(required=True, metadata={"description": "TCF_CMP_ID: 0 until registered with IAB Europe"})
    cmp_version = fields.Integer(required=True, metadata={"description": "TCF_CMP_VERSION"})
    language = fields.String(
        required=True, metadata={"description": "The language of the list's texts: the banner's if translated, else en"}
    )
    gvl = fields.Dict(
        required=True,
        metadata={
            "description": "The current Global Vendor List (v3) as the IAB publishes it, its vendors only the "
            "property's tcf_vendors (not deleted), keyed by id"
        },
    )


class FrameworksConfigSchema(ma.Schema):
    """Only the frameworks the property enables whose code is built (and, for tcf, with a stored vendor list)."""

    gpp = fields.Dict(metadata={"description": "src and integrity of the GPP file, and the sections it fills"})
    tcf = fields.Nested(TCFConfigSchema)
    microsoft_uet = fields.Dict(metadata={"description": "Empty: consent.js drives UET consent mode itself"})
    clarity = fields.Dict(metadata={"description": "Empty: consent.js drives Clarity's consent itself"})


class BannerConfigSchema(ma.Schema):
    property = fields.Dict(required=True)
    language = fields.String(required=True)
    regime = fields.String(required=True)
    notice = fields.Dict(required=True, metadata={"description": "version and url"})
    gpc_honoured = JsonBoolean(
        required=True,
        metadata={
            "description": "Whether a Global Privacy Control signal is honoured here: the property honours it and the "
            "regime's rules name purposes of this banner it turns off. The banner then says so."
        },
    )
    gpc_purposes = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "The purposes of this banner a GPC signal turns off (the rules file's, for this regime)."
        },
    )
    cookie = fields.Dict(required=True, metadata={"description": "name and domain of the first-party cookie"})
    texts = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    purposes = fields.List(fields.Nested(ShownPurposeSchema), required=True)
    declarations = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(DeclaredCookieSchema)),
        metadata={
            "description": "Purpose key -> the cookies declared for it, listed in the settings view; absent when "
            "the property declares none for the purposes shown"
        },
    )
    frameworks = fields.Nested(
        FrameworksConfigSchema,
        metadata={"description": "The industry signals the property enables; absent when it enables none"},
    )
    banner_version = fields.String(required=True, metadata={"description": "Hash of exactly what is shown"})
    tokens = fields.Nested(
        TokenKeysSchema,
        required=True,
        metadata={"description": "What the banner verifies the stored token with (not part of the banner version)"},
    )


class ChoiceInSchema(ma.Schema):
    choices = fields.Dict(
        keys=fields.String(validate=PURPOSE_KEY),
        values=JsonBoolean(),
        required=True,
        validate=validate.Length(max=30),
    )
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in BANNER_METHODS]))
    notice_version = fields.String(required=True, validate=validate.Length(1, 64))
    banner_version = fields.String(required=True, validate=validate.Length(1, 80))
    token = fields.String(validate=validate.Length(1, 4096), allow_none=True)
    gpc = JsonBoolean(load_default=False)
    tc_string = fields.String(
        validate=validate.Length(1, 10000),
        metadata={
            "description": "The TC string the banner's TCF layer encoded for this choice (TCF v2.3, with the "
            "disclosedVendors segment); only when the banner shown offered TCF. Stored as the choice's evidence."
        },
    )
    language = fields.String(
        validate=validate.Length(2, 8),
        metadata={"description": "Informational: the banner version fixes the language."},
    )


class ChoiceDecisionSchema(ma.Schema):
    decision = fields.String(required=True)
    allowed = JsonBoolean(required=True)


class ChoiceOutSchema(ma.Schema):
    visitor_id = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    decisions = fields.Dict(keys=fields.String(), values=fields.Nested(ChoiceDecisionSchema), required=True)


class VerifyInSchema(ma.Schema):
    token = fields.String(required=True, validate=validate.Length(1, 4096))


class VerifyOutSchema(ma.Schema):
    valid = JsonBoolean(required=True)
    reason = fields.String(metadata={"description": "Why a token is not valid"})
    claims = fields.Dict(metadata={"description": "The verified claims of a valid token"})
