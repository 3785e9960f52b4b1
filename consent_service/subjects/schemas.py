"""Wire format shared by every endpoint under a subject: the identifier's field and path converter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api
from marshmallow import fields
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, UnicodeConverter, ValidationError

from consent_service.subjects.identifiers import canonical
from consent_service.vocabulary import SubjectKind

MAX_ID_LENGTH = 255
KINDS = tuple(kind.value for kind in SubjectKind)
# {kind} is visitor or customer; {subject_id} is the service's visitor id or the company's own id.
SUBJECT_ID_PATH = "<subject_id:subject_id>"
SUBJECT_PATH = f"/subjects/<subject_kind:kind>/{SUBJECT_ID_PATH}"


class SubjectId(fields.String):
    """A subject identifier in a body: made canonical (subjects/identifiers.py) before it is validated."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        return canonical(super()._deserialize(value, attr, data, **kwargs))


class SubjectIdConverter(UnicodeConverter):
    """A subject identifier in a path (up to 255 characters), made canonical; a longer canonical one matches nothing."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, maxlength=MAX_ID_LENGTH)

    def to_python(self, value: str) -> str:
        value = canonical(value)
        if len(value) > MAX_ID_LENGTH:
            raise ValidationError("too long")
        return value


class UnknownKind(NotFound):
    """Raised while routing, where only an HTTP exception becomes a response (the JSON 404 of errors.JsonErrorApi)."""

    def __init__(self) -> None:
        # The segment is not echoed: a path may be long, and it was the caller's own text anyway.
        super().__init__(f"Unknown subject kind in the path: a subject's kind is {' or '.join(KINDS)}.")


class SubjectKindConverter(UnicodeConverter):
    """A subject kind in a path: any segment routes, so a wrong kind is told the right ones instead of a bare 404."""

    def to_python(self, value: str) -> str:
        if value not in KINDS:
            raise UnknownKind()
        return value


def register_subject_converter(app: Flask, api: Api) -> None:
    """Routes and the OpenAPI document learn the subject's converters (before the blueprints register)."""
    app.url_map.converters["subject_kind"] = SubjectKindConverter
    app.url_map.converters["subject_id"] = SubjectIdConverter
    api.register_converter(SubjectKindConverter, lambda _converter: {"type": "string", "enum": list(KINDS)})
    api.register_converter(
        SubjectIdConverter, lambda _converter: {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}
    )
