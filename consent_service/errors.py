"""Domain exceptions and the one JSON error shape every 4xx/5xx response uses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, Response, jsonify
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

# A stable machine-readable code for every HTTP status the service answers with.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
RETRY_AFTER_SECONDS = 5


class ServiceError(Exception):
    """Base of every error a service raises on purpose; the handler turns it into JSON."""

    status = 400
    code = "bad_request"
    message = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})


class NotFound(ServiceError):
    status, code, message = 404, "not_found", "Not found."


class Unauthorized(ServiceError):
    status, code, message = 401, "unauthorized", "A valid API key is required."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="consent-service"'})


class Forbidden(ServiceError):
    status, code, message = 403, "forbidden", "This key may not do that."


class Conflict(ServiceError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class ValidationFailed(ServiceError):
    status, code, message = 422, "validation_error", "The request is not valid."


class RateLimited(ServiceError):
    status, code, message = 429, "rate_limited", "Too many requests; retry later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class KeyInQueryString(ServiceError):
    # A key in a URL ends up in access logs, proxies and browser history; refuse it so clients learn.
    status, code, message = 400, "key_in_query", "API keys are only accepted in the Authorization header."


class Unavailable(ServiceError):
    status, code, message = 503, "unavailable", "The service cannot reach its database."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def error_body(status: int, code: str, message: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if errors:
        body["errors"] = dict(errors)
    return body


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs' nested messages into {"events.0.purpose": ["..."]}, dropping the location."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        is_location = not prefix and key in ("json", "query", "headers", "path", "form", "files")
        name = "" if is_location else (f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, (dict, list)):
            flat.update(flatten_messages(value, name))
        else:
            flat[name or "_schema"] = [str(value)]
    return flat


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


def register_error_handlers(app: Flask) -> None:
    """Domain errors, database outages and unexpected failures all answer in the JSON shape."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        response = jsonify(error_body(error.status, error.code, error.message, error.errors))
        response.status_code = error.status
        response.headers.update(error.headers)
        return response

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> Response:
        log.error("database unavailable: %s", error.orig.__class__.__name__)
        return _service_error(Unavailable())

    @app.errorhandler(InternalServerError)
    def _internal_error(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if isinstance(original, OperationalError):
            return _database_unavailable(original)
        response = jsonify(error_body(500, "internal_error", "An unexpected error occurred."))
        response.status_code = 500
        return response


def reports_service_errors(command):
    """CLI commands print a domain error as a message, not a traceback."""
    import functools

    import click

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as error:
            details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.errors.items())
            raise click.ClickException(f"{error.message} {details}".strip()) from None

    return wrapper
