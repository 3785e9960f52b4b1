"""Wire format of token issuing and the JWKS."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import country_field, region_field, signals_field


class TokenRequestSchema(ma.Schema):
    ttl_seconds = fields.Integer(
        validate=validate.Range(min=60), metadata={"description": "Capped by TOKEN_MAX_TTL_SECONDS."}
    )
    country = country_field()
    region = region_field()
    signals = signals_field(
        "Also carry the subject's IAB strings: gpp and gpp_sid (the GPP string of this state), tcf (the TC string "
        "of its last banner choice, when one recorded it)."
    )


class TokenSchema(ma.Schema):
    token = fields.String(required=True, metadata={"description": "Compact JWS (EdDSA)"})
    expires_at = fields.DateTime(required=True)


class JwkSchema(ma.Schema):
    kty = fields.String(required=True)
    crv = fields.String(required=True)
    x = fields.String(required=True)
    kid = fields.String(required=True)
    use = fields.String(required=True)
    alg = fields.String(required=True)


class JwksSchema(ma.Schema):
    keys = fields.List(fields.Nested(JwkSchema), required=True)
