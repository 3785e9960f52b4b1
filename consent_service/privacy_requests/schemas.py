"""Wire format of the operator's privacy request API: filing, the queue, one request, its actions and reports."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.consents.schemas import SubjectRefSchema
from consent_service.fields import FullMatch, JsonBoolean, country_field, region_field
from consent_service.privacy_requests.models import MAX_CONTACT, MAX_CORRECTION, MAX_SYSTEM_DETAIL
from consent_service.privacy_requests.service import MAX_REASON
from consent_service.vocabulary import EMAIL_PATTERN, ObjectionTarget, RequestStatus, RequestType, SystemStatus

EMAIL = f"^(?:{EMAIL_PATTERN})$"


class DetailsSchema(ma.Schema):
    """What some types ask: an objection's target, a correction's text."""

    objection = fields.Enum(ObjectionTarget, by_value=True, metadata={"description": "Of an objection request"})
    correction = fields.String(
        validate=validate.Length(1, MAX_CORRECTION), metadata={"description": "Of a correction request"}
    )


class AgentSchema(ma.Schema):
    """An authorized agent filing for the person (CCPA), who declares they are authorized."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    # The flow checks the address (file_privacy_request); the document states the same shape.
    email = fields.String(required=True, validate=validate.Length(3, MAX_CONTACT), metadata={"pattern": EMAIL})
    # Only true is accepted (file_privacy_request): the agent declares, or the request is refused.
    declaration = JsonBoolean(required=True, metadata={"enum": [True]})


class FileRequestSchema(ma.Schema):
    """A request received by phone, mail or in person; `verified`: the operator has proven the identity."""

    type = fields.Enum(RequestType, by_value=True, required=True)
    subject = fields.Nested(SubjectRefSchema, required=True)
    country = country_field(load_default=None)
    region = region_field(load_default=None)
    verified = JsonBoolean(required=True)
    contact = fields.String(
        load_default=None,
        validate=validate.Length(3, MAX_CONTACT),
        metadata={
            "description": "The email address the person is answered at (and verified at, when not verified)",
            "pattern": EMAIL,
        },
    )
    language = fields.String(load_default="en", validate=FullMatch(r"[a-z]{2}", error="A language code, such as de."))
    property = fields.String(load_default=None, validate=validate.Length(1, 64))
    details = fields.Nested(DetailsSchema, load_default=dict)
    agent = fields.Nested(AgentSchema)


class StepSchema(ma.Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    details = fields.Dict(required=True)


class SystemSchema(ma.Schema):
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": [s.value for s in SystemStatus]})
    reported_at = fields.DateTime(allow_none=True, required=True)
    detail = fields.String(allow_none=True, required=True)


class RequestSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "pr_..."})
    type = fields.String(required=True, metadata={"enum": [t.value for t in RequestType]})
    status = fields.String(required=True, metadata={"enum": [s.value for s in RequestStatus]})
    verification = fields.String(required=True)
    subject = fields.Dict(
        required=True, metadata={"description": "kind and id; a deletion's id is its pseudonym once it has run"}
    )
    property = fields.String(attribute="property_key", allow_none=True, required=True)
    country = fields.String(allow_none=True, required=True)
    region = fields.String(allow_none=True, required=True)
    law = fields.String(required=True, metadata={"description": "The key of the law whose deadline applies"})
    language = fields.String(required=True)
    channel = fields.String(required=True)
    details = fields.Dict(required=True)
    received_at = fields.DateTime(required=True)
    verified_at = fields.DateTime(allow_none=True, required=True)
    due_at = fields.DateTime(required=True)
    extended = JsonBoolean(required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    outcome = fields.String(allow_none=True, required=True, metadata={"description": "A refusal's reason"})


_REQUEST_FIELDS = tuple(RequestSchema().fields.items())


class RequestDetailSchema(RequestSchema):
    """One request with everything that happened to it."""

    due_state = fields.String(required=True, metadata={"enum": ["overdue", "due_soon", "on_time", "closed"]})
    steps = fields.List(fields.Nested(StepSchema), required=True)
    systems = fields.List(fields.Nested(SystemSchema), required=True)

    @ma.pre_dump
    def _flatten(self, shown: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dumps {"request": PrivacyRequest, "due_state", "steps", "systems"}."""
        request = shown["request"]
        own = {field.attribute or name: getattr(request, field.attribute or name) for name, field in _REQUEST_FIELDS}
        return own | {key: value for key, value in shown.items() if key != "request"}


class RequestPageSchema(ma.Schema):
    requests = fields.List(fields.Nested(RequestSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ListQuerySchema(ma.Schema):
    status = fields.Enum(RequestStatus, by_value=True, load_default=None)
    due_before = fields.AwareDateTime(load_default=None, metadata={"description": "Only requests due before this"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Length(1, 200))


class ActionSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(["extend", "refuse"]))
    reason = fields.String(
        required=True,
        validate=validate.Length(1, MAX_REASON),
        metadata={"description": "Why, as the person is told (an extension's reason, a refusal's legal reason)"},
    )


class SystemReportSchema(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf([SystemStatus.DONE.value, SystemStatus.FAILED.value]))
    detail = fields.String(load_default=None, validate=validate.Length(1, MAX_SYSTEM_DETAIL))


class ReceiptSchema(ma.Schema):
    receipt = fields.String(
        required=True, metadata={"description": "JWS, typ privacy-request-receipt+jwt; verify with the JWKS"}
    )
