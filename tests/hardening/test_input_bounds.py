"""Every input the OpenAPI document describes is bounded: strings, lists and free-form objects alike."""
from __future__ import annotations

import re
from typing import Iterator

# Formats whose parser only accepts text of a bounded length.
BOUNDED_FORMATS = {"date-time", "date", "time", "uuid", "ipv4", "ipv6"}
MAX_FOLLOWED_REFS = 50


def bounded_pattern(schema: dict) -> bool:
    """An anchored pattern with no unbounded repetition (*, +, {n,}) only matches text of a bounded length."""
    pattern = schema.get("pattern")
    if not pattern or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    unescaped = re.sub(r"\\.", "", pattern)
    return not re.search(r"[*+]|\{\d*,\}", unescaped)


def resolve(spec: dict, schema: dict) -> dict:
    for _ in range(MAX_FOLLOWED_REFS):
        if "$ref" not in schema:
            return schema
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    raise AssertionError("a $ref cycle")


def unbounded(
    spec: dict, schema: dict, where: str, seen: frozenset = frozenset(), narrowing: bool = False
) -> Iterator[str]:
    """Where a request schema lets a client send more than it must: each unbounded string, list or object.
    `narrowing`: a combinator's part beside a typed schema, which can only refuse more than that schema does, so
    an untyped part there is no opening (e.g. anyOf: [{"required": [...]}, ...])."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    schema = resolve(spec, schema)
    seen = seen | {ref} if ref else seen
    for combined in ("allOf", "anyOf", "oneOf"):
        for index, part in enumerate(schema.get(combined, [])):
            yield from unbounded(
                spec, part, f"{where}.{combined}[{index}]", seen, narrowing or schema.get("type") is not None
            )
    if schema.get("readOnly") or "enum" in schema or "const" in schema:
        return
    kind = schema.get("type")
    if kind == "string":
        if "maxLength" not in schema and schema.get("format") not in BOUNDED_FORMATS and not bounded_pattern(schema):
            yield f"{where}: string without maxLength"
    elif kind == "array" or (narrowing and "items" in schema):
        if "maxItems" not in schema and not narrowing:
            yield f"{where}: array without maxItems"
        yield from unbounded(spec, schema.get("items", {}), f"{where}[]", seen, narrowing)
    elif kind == "object" or "properties" in schema or "additionalProperties" in schema:
        for name, field in schema.get("properties", {}).items():
            yield from unbounded(spec, field, f"{where}.{name}", seen, narrowing)
        extra = schema.get("additionalProperties", True)
        if extra is not False and not narrowing:
            if "maxProperties" not in schema:
                yield f"{where}: free-form object without maxProperties"
            if isinstance(extra, dict):
                yield from unbounded(spec, extra, f"{where}.*", seen)
    elif kind is None and not narrowing and not any(key in schema for key in ("allOf", "anyOf", "oneOf")):
        yield f"{where}: any value at all (no type)"


def request_inputs(spec: dict) -> Iterator[tuple[str, dict]]:
    """(where, schema) for every parameter and request body of every operation."""
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in [*shared, *operation.get("parameters", [])]:
                parameter = resolve(spec, parameter)
                if parameter["in"] in ("query", "path", "header"):
                    yield f"{method.upper()} {path} {parameter['in']} {parameter['name']}", parameter.get("schema", {})
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method.upper()} {path} body ({media})", content.get("schema", {})


def test_every_request_string_list_and_object_is_bounded(client):
    spec = client.get("/openapi.json").json
    problems = [problem for where, schema in request_inputs(spec) for problem in unbounded(spec, schema, where)]
    assert problems == []


def test_the_walker_finds_what_is_unbounded():
    spec = {"components": {"schemas": {"Inner": {"type": "object", "properties": {"note": {"type": "string"}}}}}}
    schema = {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string", "maxLength": 10},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
        "inner": {"$ref": "#/components/schemas/Inner"},
        "evidence": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}},
        "when": {"type": "string", "format": "date-time"},
        "anything": {},
        "country": {"type": "string", "pattern": "^([A-Z]{2}|\\*)$"},
        "slug": {"type": "string", "pattern": "^[a-z]+$"},
        "loose": {"type": "string", "pattern": "[a-z]{1,5}"},
    }}
    assert sorted(unbounded(spec, schema, "body")) == [
        "body.anything: any value at all (no type)",
        "body.evidence: free-form object without maxProperties",
        "body.inner.note: string without maxLength",
        "body.inner: free-form object without maxProperties",
        "body.loose: string without maxLength",
        "body.slug: string without maxLength",
        "body.tags: array without maxItems",
    ]
