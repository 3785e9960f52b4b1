"""Domain exceptions and the one JSON error shape every 4xx/5xx response uses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import InternalServerError

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


def register_error_handlers(app: Flask) -> None:
    """Domain errors, database outages and unexpected failures all answer in the JSON shape."""
    # Here, not with the module: the commands import this module for their error messages, and start without
    # SQLAlchemy until one runs.
    from sqlalchemy.exc import OperationalError

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
