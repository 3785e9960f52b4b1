"""The contract fuzzer's own check (contract_hooks.py), on real schemathesis cases of the served document."""

from __future__ import annotations

import json

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.core.transport import Response
from schemathesis.generation.modes import GenerationMode

from consent_service.openapi_rules import EXTENSION, RULES
from tests.e2e.contract_hooks import EXTENSION as HOOKS_EXTENSION
from tests.e2e.contract_hooks import refused_only_by_published_rules


@pytest.fixture
def checks_operation(client):
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").get_json())
    return schema["/v1/checks"]["POST"]


def generated(operation, mode: GenerationMode):
    return hypothesis.find(
        operation.as_strategy(generation_mode=mode), lambda case: True, settings=hypothesis.settings(database=None)
    )


def answer(status: int, errors: dict[str, list[str]]) -> Response:
    body = json.dumps({"code": "validation_error", "errors": errors, "message": "x", "status": status}).encode()
    request = requests.Request("POST", "http://127.0.0.1/v1/checks").prepare()
    return Response(status, {"content-type": ["application/json"]}, body, request, 0.01, True)


def test_the_hooks_read_the_extension_the_document_writes():
    assert HOOKS_EXTENSION == EXTENSION


def test_a_422_to_valid_data_passes_only_on_fields_the_operation_publishes(checks_operation):
    case = generated(checks_operation, GenerationMode.POSITIVE)
    assert set(RULES[("post", "/v1/checks")]) <= set(case.operation.definition.raw[EXTENSION])
    published = {"region": ["AA-0 is not an ISO 3166-2 subdivision code."], "checks.3.purposes.0": ["Unknown."]}
    assert refused_only_by_published_rules(None, answer(422, published), case) is None
    with pytest.raises(AssertionError, match="on subject.kind, which no rule of POST /v1/checks publishes"):
        refused_only_by_published_rules(None, answer(422, {"region": ["x"], "subject.kind": ["x"]}), case)
    with pytest.raises(AssertionError, match="no `errors` object"):
        refused_only_by_published_rules(None, answer(422, {}), case)


def test_other_answers_and_invalid_data_are_left_to_the_other_checks(checks_operation):
    positive = generated(checks_operation, GenerationMode.POSITIVE)
    negative = generated(checks_operation, GenerationMode.NEGATIVE)
    assert refused_only_by_published_rules(None, answer(200, {"name": ["x"]}), positive) is None
    assert refused_only_by_published_rules(None, answer(422, {"name": ["x"]}), negative) is None
