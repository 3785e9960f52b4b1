"""The console's form bodies (marshmallow): every field bounded; a bad form changes nothing."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from consent_service.errors import ValidationFailed
from consent_service.fields import PURPOSE_KEY, FullMatch, page_url_field
from consent_service.notices.service import KINDS
from consent_service.properties.schemas import MAX_TCF_VENDORS, MAX_VENDOR_ID
from consent_service.properties.service import MAX_ORIGINS
from consent_service.subjects.schemas import SubjectId
from consent_service.vocabulary import Framework, RequestStatus, SubjectKind
from consent_service.webhooks.schemas import WebhookSchema

SUBJECT_ID = validate.Length(1, 255)


class _Form(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token and the text fields are read on their own

    csrf_token = fields.String(load_default=None, validate=validate.Length(max=500))


class SignInForm(_Form):
    key = fields.String(required=True, validate=validate.Length(1, 200))


class PropertyForm(_Form):
    language = fields.String(required=True, validate=FullMatch(r"[a-z]{2}"))
    # A bound on the text only; how many origins a property may have is properties.service.allowed_origins' rule.
    allowed_origins = fields.String(load_default="", validate=validate.Length(max=MAX_ORIGINS * 300))


class FrameworksForm(_Form):
    # Each framework once and each vendor in the current list is properties.service's rule (the API's too).
    frameworks = fields.List(
        fields.String(validate=validate.OneOf([framework.value for framework in Framework])),
        load_default=list,
        validate=validate.Length(max=len(Framework)),
    )
    tcf_vendors = fields.List(
        fields.Integer(strict=False, validate=validate.Range(1, MAX_VENDOR_ID)),
        load_default=list,
        validate=validate.Length(max=MAX_TCF_VENDORS),
    )


class ScanForm(_Form):
    # Bounds on the text only; what a valid scan request is, is scanner.service's rule (the API's too).
    urls = fields.String(required=True, validate=validate.Length(1, 20 * 2000))
    max_pages = fields.Integer(load_default=20, strict=False)


class NoticeForm(_Form):
    property = fields.String(load_default="", validate=validate.Length(max=64))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    version = fields.String(required=True, validate=validate.Length(1, 64))
    material = fields.Boolean(load_default=False, truthy={"on", "true", "1"}, falsy={"", "off", "false", "0"})
    purposes = fields.List(fields.String(validate=PURPOSE_KEY), load_default=list, validate=validate.Length(max=50))
    url = page_url_field(required=True)  # the API's rule (notices.schemas)


class SubjectForm(_Form):
    kind = fields.String(required=True, validate=validate.OneOf([kind.value for kind in SubjectKind]))
    id = SubjectId(required=True, validate=SUBJECT_ID)


class ErasureForm(SubjectForm):
    confirm = SubjectId(required=True, validate=SUBJECT_ID)

    @ma.validates_schema
    def _typed_again(self, data: dict, **_: Any) -> None:
        if data.get("confirm") != data.get("id"):
            raise ma.ValidationError("Type the subject's id exactly to confirm the erasure.", "confirm")


class ReplayForm(_Form):
    delivery = fields.String(load_default=None, validate=FullMatch(r"(dlv|msg)_[A-Za-z0-9]{1,36}"))
    failed = fields.Boolean(load_default=False, truthy={"on", "true", "1"}, falsy={"", "off", "false", "0"})

    @ma.validates_schema
    def _something(self, data: dict, **_: Any) -> None:
        if not data.get("delivery") and not data.get("failed"):
            raise ma.ValidationError("Name a delivery, or replay every failed one.", "delivery")


class WebhookForm(_Form, WebhookSchema):
    """The API's webhook fields and bounds (the same schema); whether the URL may receive webhooks is
    webhooks.service's rule, for both. Enabling and disabling is its own form."""

    class Meta:
        unknown = ma.EXCLUDE
        exclude = ("enabled",)

    description = fields.String(load_default="", validate=validate.Length(0, 200))


class WebhookSwitchForm(_Form):
    enabled = fields.Boolean(required=True, truthy={"on", "true", "1"}, falsy={"", "off", "false", "0"})


# The queue's status filter: the open ones (unverified or in progress, the default), one status, or all.
OPEN, ALL = "open", "all"
REQUEST_STATUSES = tuple(status.value for status in RequestStatus)
QUEUE_FILTERS = (OPEN, *REQUEST_STATUSES, ALL)


class QueueFilterForm(_Form):
    status = fields.String(load_default=OPEN, validate=validate.OneOf(QUEUE_FILTERS))
    cursor = fields.String(load_default=None, validate=validate.Length(1, 200))


class ReasonForm(_Form):
    # A bound on the text only; what a valid reason is, is privacy_requests.service.checked_reason's rule.
    reason = fields.String(load_default="", validate=validate.Length(max=10_000))


def load(schema: type[ma.Schema], form: MultiDict, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's values, or ValidationFailed with the field errors (the page shows them)."""
    data: dict[str, Any] = {key: form.get(key) for key in form if key not in lists}
    data.update({key: form.getlist(key) for key in lists})
    try:
        return schema().load(data)
    except ma.ValidationError as error:
        messages = error.normalized_messages()
        raise ValidationFailed(errors={key: _flat(value) for key, value in messages.items()}) from None


def _flat(messages: Any) -> list[str]:
    """A field's messages as sentences; a list field's are per item ({0: [...]}), shown without the index."""
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _flat(value)]
    if isinstance(messages, list):
        return [text for value in messages for text in _flat(value)]
    return [str(messages)]
