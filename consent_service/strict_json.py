"""JSON request bodies parsed once and strictly: sent as JSON (else a 415), an object naming a key twice refused.

Every endpoint's body is parsed by webargs through the parser of its flask-smorest Blueprint; our
`Blueprint` carries `StrictJsonParser`, whose only change is the loader below. A body declared in the
`json` location (`@blp.arguments(Schema)`) is read only from a JSON media type, as webargs' `is_json`
and Flask's `request.is_json` both define it: `application/json` or any `application/*+json`
(`merge-patch+json`, `problem+json`, ...). A body of any other type, or with none, is refused with a
415 that says what to send, instead of being read as no body at all ("Missing data for required
field"); a request with no body keeps its schema's answer (an optional body is then `{}`). The
duplicate-key check costs one `dict(pairs)` per JSON object, inside the parse that happens anyway
(about a microsecond on a consent-events or banner-choice body).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from consent_service.errors import ServiceError

JSON_BODY = "json"  # webargs' location of a JSON request body


class NotJson(ServiceError):
    """A body sent to an endpoint that reads JSON, declared as something else (or as nothing)."""

    status, code = 415, "unsupported_media_type"

    def __init__(self, mimetype: str) -> None:
        sent = f"as {mimetype}" if mimetype else "without a Content-Type"
        super().__init__(
            f"This endpoint reads a JSON body: send it with `Content-Type: application/json` (it was sent {sent})."
        )


class DuplicateKey(json.JSONDecodeError):
    """A JSON object names the same key twice; which value was meant cannot be known."""

    def __init__(self, key: str) -> None:
        # Never an empty document: webargs reads an error on an empty one as "no body".
        super().__init__(f"Duplicate key {key!r}", json.dumps(key), 0)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    loaded = dict(pairs)
    if len(loaded) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return loaded


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads(body: bytes | str) -> Any:
    """json.loads of a request body (UTF-8, as webargs reads it), refusing duplicate keys (DuplicateKey)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", str(exc.object), exc.start) from exc
    if body.startswith("\ufeff"):  # as json.loads refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", body, 0)
    return _DECODER.decode(body)


def _has_body(req: flask.Request) -> bool:
    """From the headers: a form body may already be read (and gone from the stream) by the request guards."""
    return bool(req.content_length) or "chunked" in req.headers.get("Transfer-Encoding", "").lower()


class StrictJsonParser(FlaskParser):
    """webargs' Flask parser with `loads` for JSON bodies; a duplicate key is a 400 naming the key."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if _has_body(req):
                raise NotJson(req.mimetype)
            return core.missing
        return loads(req.get_data(cache=True))

    def _handle_invalid_json_error(
        self, error: json.JSONDecodeError | UnicodeDecodeError, req: flask.Request, *args: Any, **kwargs: Any
    ) -> NoReturn:
        if isinstance(error, DuplicateKey):
            abort(
                400,
                exc=error,
                message=f"The request body names the key {error.key!r} twice in one object.",
                messages={"json": {error.key: ["Sent more than once in one object: send each key once."]}},
            )
        super()._handle_invalid_json_error(error, req, *args, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict JSON parser: every API blueprint of the service is one."""

    ARGUMENTS_PARSER = StrictJsonParser()

    def arguments(self, schema: Any, *, location: str = JSON_BODY, **kwargs: Any) -> Callable[[Any], Any]:
        """flask-smorest's decorator; a JSON body also documents the 415 its parser answers (NotJson, NotUtf8)."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != JSON_BODY:
            return parse

        def decorator(view: Any) -> Any:
            parsed = parse(view)
            # flask-smorest's own entry for the 422, beside which the 415 goes: the shared error response.
            parsed._apidoc["arguments"]["responses"][415] = "UNSUPPORTED_MEDIA_TYPE"
            return parsed

        return decorator
