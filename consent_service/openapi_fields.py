"""Where apispec describes marshmallow wrongly or not at all: a Dict's Length bounds its properties, not a string
length; a Dict whose keys are a closed set names them (apispec drops the keys field); an Enum lists only the members
its NoneOf lets through; a Dict's key rules are its `propertyNames`; a PATCH body names a field; a schema-level rule
(a @validates_schema) is said by the schema's `Meta.json_schema`."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask_smorest import Api
from marshmallow import Schema, fields, validate

from consent_service.fields import Changes

LENGTH_AS_PROPERTIES = {"minLength": "minProperties", "maxLength": "maxProperties"}


def dict_length_as_properties(self: object, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """validate.Length on a Dict limits how many keys it has: JSON Schema says that with min/maxProperties."""
    if not isinstance(field, fields.Dict):
        return {}
    for length, properties in LENGTH_AS_PROPERTIES.items():
        if length in ret:
            ret[properties] = ret.pop(length)
    return {}


def closed_dict_keys(self: Any, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """A Dict whose keys must be OneOf a few choices is an object with those properties and no others, so the
    document refuses the keys the validation refuses."""
    if not isinstance(field, fields.Dict) or field.key_field is None:
        return {}
    choices = [v.choices for v in field.key_field.validators if isinstance(v, validate.OneOf)]
    if not choices:
        return {}
    values = ret.get("additionalProperties", {})
    return {"properties": {str(key): values for key in choices[0]}, "additionalProperties": False}


def dict_key_names(self: Any, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """A Dict's keys validated by its key field (a language code, a purpose key, a known text) are described by that
    field as `propertyNames` (JSON Schema 2020-12, so OpenAPI 3.1): apispec leaves the key field out."""
    if not isinstance(field, fields.Dict) or field.key_field is None or not field.key_field.validators:
        return {}
    if any(isinstance(v, validate.OneOf) for v in field.key_field.validators):
        return {}  # closed_dict_keys names them
    return {"propertyNames": self.field2property(field.key_field)}


def enum_without_refused(self: Any, field: fields.Field, ret: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """An Enum field whose NoneOf refuses some members lists only the others (apispec lists every member)."""
    if "enum" not in ret:
        return {}
    refused = {
        getattr(value, "value", value)
        for v in field.validators
        if isinstance(v, validate.NoneOf)
        for value in v.iterable
    }
    if refused:
        ret["enum"] = [value for value in ret["enum"] if value not in refused]
    return {}


class ChangesNameAField(BasePlugin):
    """A Changes schema (a PATCH body) refuses {}: its component says minProperties: 1."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        if issubclass(schema_class, Changes):
            return {"minProperties": 1}
        return None


def register(api: Api) -> None:
    """After api.init_app (which builds a fresh spec) and before any blueprint documents its schemas."""
    converter = api.ma_plugin.converter
    converter.add_attribute_function(dict_length_as_properties)
    converter.add_attribute_function(closed_dict_keys)
    converter.add_attribute_function(dict_key_names)
    converter.add_attribute_function(enum_without_refused)
    plain = converter.schema2jsonschema

    def with_schema_rules(schema: Schema | type[Schema]) -> dict[str, Any]:
        """The JSON Schema of `schema`, with what its Meta.json_schema adds (e.g. an anyOf for a conditional field),
        so a document generated from it asks for no less than the validation does."""
        json_schema = plain(schema)
        json_schema.update(getattr(getattr(resolve_schema_instance(schema), "Meta", None), "json_schema", {}))
        return json_schema

    converter.schema2jsonschema = with_schema_rules
