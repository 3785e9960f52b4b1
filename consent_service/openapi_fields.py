"""Where apispec describes marshmallow wrongly or not at all: a Dict's Length bounds its properties, not a string
length; a schema-level rule (a @validates_schema) is said by the schema's `Meta.json_schema`."""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow.common import resolve_schema_instance
from flask_smorest import Api
from marshmallow import Schema, fields

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
    converter = api.ma_plugin.converter
    converter.add_attribute_function(dict_length_as_properties)
    plain = converter.schema2jsonschema

    def with_schema_rules(schema: Schema | type[Schema]) -> dict[str, Any]:
        """The JSON Schema of `schema`, with what its Meta.json_schema adds (e.g. an anyOf for a conditional field),
        so a document generated from it asks for no less than the validation does."""
        json_schema = plain(schema)
        json_schema.update(getattr(getattr(resolve_schema_instance(schema), "Meta", None), "json_schema", {}))
        return json_schema

    converter.schema2jsonschema = with_schema_rules
