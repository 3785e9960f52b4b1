"""Wire format of the rights endpoints: export, erasure receipt, restriction, links, consent receipts."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.consents.schemas import EventOutSchema, SubjectStateSchema
from consent_service.fields import JsonBoolean
from consent_service.subjects.schemas import SubjectId


class LedgerEventSchema(EventOutSchema):
    """An event as exported: with its place in the subject's hash chain."""

    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class ExportSubjectSchema(ma.Schema):
    kind = fields.String(required=True)
    id = fields.String(required=True)
    country = fields.String(allow_none=True)
    minor_until = fields.DateTime(allow_none=True)
    born_by = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class RestrictionStateSchema(ma.Schema):
    restricted = JsonBoolean(required=True)
    since = fields.DateTime(allow_none=True)


class ExportLinksSchema(ma.Schema):
    visitors = fields.List(fields.String(), required=True, metadata={"description": "A customer's linked visitor ids."})
    customer = fields.String(allow_none=True, metadata={"description": "A visitor's customer id."})


class IssuedTokenSchema(ma.Schema):
    jti = fields.String(required=True)
    issued_for = fields.String(required=True, metadata={"enum": ["service", "banner"]})
    property = fields.String(attribute="property_key", allow_none=True)
    issued_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


class SuppressionSchema(ma.Schema):
    """What the pseudonymous suppression entry of an erasure keeps: purpose keys and a time, no identifier."""

    since = fields.DateTime(required=True, metadata={"description": "When the identifier was erased."})
    communication = JsonBoolean(required=True, metadata={"description": "Communication purposes are suppressed."})
    refused_purposes = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Purposes the person had refused before the erasure: refused until a new decision."},
    )


class ErasureSuppressionSchema(ma.Schema):
    communication = JsonBoolean(required=True)
    refused_purposes = fields.List(fields.String(), required=True)


class ExportSchema(ma.Schema):
    """Everything held about a subject; the contract is schemas/subject-export.schema.json."""

    schema_id = fields.String(data_key="$schema", attribute="$schema", required=True)
    exported_at = fields.DateTime(required=True)
    subject = fields.Nested(ExportSubjectSchema, required=True)
    restriction = fields.Nested(RestrictionStateSchema, required=True)
    state = fields.Nested(SubjectStateSchema, required=True)
    events = fields.List(fields.Nested(LedgerEventSchema), required=True)
    links = fields.Nested(ExportLinksSchema, required=True)
    tokens = fields.List(fields.Nested(IssuedTokenSchema), required=True)
    suppression = fields.Nested(
        SuppressionSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The suppression entry an earlier erasure of this identifier left, if any."},
    )


class ErasureDoneSchema(ma.Schema):
    subjects_pseudonymized = fields.Integer(required=True)
    events_kept_as_proof = fields.Integer(required=True)
    event_fields_pseudonymized = fields.Integer(required=True)
    linked_visitors_erased = fields.Integer(required=True)
    links_removed = fields.Integer(required=True)
    token_records_deleted = fields.Integer(required=True)
    idempotency_records_deleted = fields.Integer(required=True)
    webhook_events_pseudonymized = fields.Integer(required=True)


class ErasureReceiptSchema(ma.Schema):
    id = fields.String(required=True)
    subject = fields.Dict(required=True, metadata={"description": "kind and the keyed pseudonym that replaced the id"})
    erased_at = fields.String(required=True)
    done = fields.Nested(ErasureDoneSchema, required=True)
    suppressed = JsonBoolean(required=True, metadata={"description": "Kept out of communications if seen again."})
    suppression = fields.Nested(
        ErasureSuppressionSchema,
        metadata={
            "description": "What the suppression entry keeps: communication purposes and the purposes the person had "
            "refused (keys only), refused if the identifier is seen again until a new decision."
        },
    )
    known = JsonBoolean(
        required=True,
        metadata={
            "description": "Something was recorded under the identifier. False: nothing was (a mistyped id?); it is "
            "suppressed all the same, and no subject.erased webhook is sent."
        },
    )
    repeated = JsonBoolean(required=True, metadata={"description": "Already erased: this is the first receipt."})


class RestrictionSchema(ma.Schema):
    restricted = JsonBoolean(required=True)


class RestrictionOutSchema(ma.Schema):
    subject = fields.Dict(required=True)
    restricted = JsonBoolean(required=True)
    since = fields.DateTime(allow_none=True)


class LinkSchema(ma.Schema):
    visitor_id = SubjectId(required=True, validate=validate.Length(1, 255))


class LinkOutSchema(ma.Schema):
    visitor_id = fields.String(required=True)
    linked_at = fields.DateTime(required=True)
    carried_over = fields.List(fields.String(), required=True)
    state = fields.Nested(SubjectStateSchema, required=True)


class ConsentReceiptSchema(ma.Schema):
    receipt = fields.String(required=True, metadata={"description": "Compact JWS, typ consent-receipt+jwt"})
