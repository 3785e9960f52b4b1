"""Schemathesis hooks of the contract fuzzer (SCHEMATHESIS_HOOKS): a 422 to a schema-valid request names only rules the
operation publishes."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import schemathesis
from schemathesis.generation.modes import GenerationMode

# consent_service.openapi_rules.EXTENSION, read from the live document: the fuzzer's process need not import the app.
EXTENSION = "x-rules-beyond-schema"


def published_rules(case: Any) -> dict[str, str]:
    """The operation's rules beyond its schema, as its OpenAPI operation publishes them."""
    raw = case.operation.definition.raw
    return dict(raw.get(EXTENSION) or {}) if isinstance(raw, dict) else {}


def unpublished_fields(fields: list[str], rules: dict[str, str]) -> list[str]:
    """The error fields no published rule covers (`*` in a rule stands for any index or key)."""
    return [field for field in fields if not any(fnmatchcase(field, pattern) for pattern in rules)]


@schemathesis.check
def refused_only_by_published_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis.toml lets the operations with published rules answer 422 to schema-valid data (the data is valid
    by the schema, not by the rule); this keeps that to the fields those rules answer on."""
    if response.status_code != 422 or case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return None
    try:
        errors = json.loads(response.content).get("errors") or {}
    except (ValueError, AttributeError):
        errors = {}
    rules = published_rules(case)
    stray = unpublished_fields(sorted(errors), rules) if errors else ["(no `errors` object)"]
    if stray:
        raise AssertionError(
            f"Schema-valid data refused with 422 on {', '.join(stray)}, which no rule of "
            f"{case.operation.label} publishes ({EXTENSION}: {', '.join(rules) or 'none'})"
        )
    return None
