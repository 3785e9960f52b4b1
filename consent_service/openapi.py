"""flask-smorest's Api of the service: the OpenAPI document every blueprint registers on, and the HTTP errors it
answers in the service's JSON shape (errors.error_body). Only the web app imports it (with marshmallow and apispec)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from consent_service.errors import STATUS_CODES, error_body, flatten_messages
from consent_service.vocabulary import ReadPlace

# Checks, state reads, exports and reports say which server they read (docs/operations.md#read-replicas).
READ_PLACE_HEADER = "X-Consent-Read"
READ_PLACE_HEADERS = {
    READ_PLACE_HEADER: {
        "description": "Which server the answer was read from: primary, or a read replica (docs/operations.md).",
        "schema": {"type": "string", "enum": [place.value for place in ReadPlace]},
    }
}


class ErrorSchema(ma.Schema):
    """The JSON error shape (documentation only)."""

    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Field errors, keyed by the field's dotted path"},
    )


class JsonErrorApi(Api):
    """flask-smorest's Api, answering every HTTP error in the service's JSON shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("errors") or data.get("messages")
        errors = flatten_messages(messages) if messages else None
        message = data.get("message") or _default_message(status, error, errors)
        # Werkzeug's own headers belong to the answer (a 405's Allow, RFC 9110); the body and its type are ours.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        headers.update(data.get("headers") or {})  # webargs sets it to None
        return error_body(status, STATUS_CODES.get(status, "error"), message, errors), status, headers


def _default_message(status: int, error: HTTPException, errors: dict[str, list[str]] | None) -> str:
    if status == 422 and errors:
        return "The request is not valid: " + ", ".join(sorted(errors))
    if status == 400 and errors:
        return "The request body is not valid JSON."
    return error.description or error.name


api = JsonErrorApi()
