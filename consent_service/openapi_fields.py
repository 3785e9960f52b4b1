"""Where apispec describes a marshmallow field wrongly: a Dict's Length bounds its properties, not a string length."""

from __future__ import annotations

from typing import Any

from flask_smorest import Api
from marshmallow import fields

LENGTH_AS_PROPERTIES = {"minLength": "minProperties", "maxLength": "maxProperties"}


def dict_length_as_properties(self: object, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """validate.Length on a Dict limits how many keys it has: JSON Schema says that with min/maxProperties."""
    if not isinstance(field, fields.Dict):
        return {}
    for length, properties in LENGTH_AS_PROPERTIES.items():
        if length in ret:
            ret[properties] = ret.pop(length)
    return {}


def register(api: Api) -> None:
    """After api.init_app (which builds a fresh spec) and before any blueprint documents its schemas."""
    api.ma_plugin.converter.add_attribute_function(dict_length_as_properties)
