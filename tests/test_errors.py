"""Every error answers in one JSON shape: status, code, message, field errors."""
from __future__ import annotations

import json
import re

import pytest


def test_not_found_and_method_not_allowed_are_json(client):
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json["code"] == "not_found" and missing.json["status"] == 404
    wrong_method = client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json["code"] == "method_not_allowed"
    # RFC 9110: a 405 names the methods the resource takes.
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert wrong_method.content_type == "application/json"


def test_bodies_over_64_kib_are_refused(client, auth):
    big = '{"purposes": ["' + "a" * 70_000 + '"]}'
    response = client.post(
        "/v1/checks", data=big, headers=auth("consents:read") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_malformed_json_is_a_clear_400(client, auth):
    response = client.post(
        "/v1/checks", data="{not json", headers=auth("consents:read") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["message"] == "The request body is not valid JSON."


def test_unexpected_failures_are_a_json_500_without_details(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json == {"status": 500, "code": "internal_error", "message": "An unexpected error occurred."}
    assert b"secret internals" not in response.data


ALL_SCOPES = ("consents:read", "consents:write", "tokens:issue", "subjects:export", "subjects:erase", "admin")
CHECK = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "DE"}
RECORD = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}


METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def _json_operations(spec: dict):
    """(method, path) of every operation whose document says it reads a JSON body."""
    for method, path, operation in _operations(spec):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            yield method, path


def _concrete(path: str, **values: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "x-1"), path)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        (None, json.dumps(CHECK)),  # a client that sends the JSON text but names no type
        ("text/plain", json.dumps(CHECK)),
        ("application/x-www-form-urlencoded", "subject=c-1&purposes=marketing"),
        ("multipart/form-data", {"purposes": "marketing"}),
    ],
)
def test_a_json_endpoint_sent_another_media_type_is_a_415_saying_what_to_send(client, auth, content_type, data):
    response = client.post("/v1/checks", data=data, content_type=content_type, headers=auth("consents:read"))

    assert response.status_code == 415, response.json
    assert response.json["code"] == "unsupported_media_type"
    assert "Content-Type: application/json" in response.json["message"]
    assert (content_type or "without a Content-Type") in response.json["message"]


def test_nothing_is_recorded_from_a_body_that_is_not_json(client, auth):
    headers = auth("consents:read", "consents:write")

    refused = client.post("/v1/subjects/customer/c-1/consent-events", data=json.dumps(RECORD), headers=headers)

    assert refused.status_code == 415, refused.json
    assert client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json["events"] == []


def test_every_operation_the_document_says_reads_json_refuses_text_and_documents_it(client, auth):
    """Decided by the route's declared body, so a new endpoint cannot forget it; and the document says so."""
    spec = client.get("/openapi.json").json
    headers = auth(*ALL_SCOPES) | {"Content-Type": "text/plain", "Origin": "https://shop.example"}
    made = client.post("/v1/properties", json={"name": "Shop", "allowed_origins": ["https://shop.example"],
                                               "notice_version": "v1", "notice_url": "https://shop.example/privacy"},
                       headers=headers | {"Content-Type": "application/json"})
    assert made.status_code == 201, made.json
    values = {"kind": "customer", "property_key": made.json["publishable_key"], "property_id": made.json["id"]}
    operations = list(_json_operations(spec))
    assert len(operations) >= 20  # consents, checks, tokens, links, restriction, admin, banner, privacy requests

    for method, path in operations:
        assert "415" in spec["paths"][path][method]["responses"], (method, path)
        response = client.open(_concrete(path, **values), method=method.upper(), data="{}", headers=headers)
        assert response.status_code == 415, (method, path, response.status_code, response.get_data()[:200])
    others = [(method, path) for method, path, op in _operations(spec) if "415" in op["responses"]]
    assert set(others) == set(operations)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_is_application_json_or_any_plus_json_type(client, auth, content_type):
    made = client.post("/v1/purposes", json={"key": "loyalty", "name": "Loyalty", "category": "communication",
                                              "description": "Points and offers."}, headers=auth("admin"))
    assert made.status_code == 201, made.json

    response = client.post("/v1/checks", data=json.dumps(CHECK), headers=auth("consents:read") | {
        "Content-Type": content_type})

    assert response.status_code == 200, response.json


def test_an_endpoint_whose_body_is_optional_still_takes_none(client, auth):
    response = client.post("/v1/subjects/customer/c-1/tokens", headers=auth("tokens:issue"))

    assert response.status_code == 201, response.json


def test_a_required_body_left_out_is_still_told_field_by_field(client, auth):
    response = client.post("/v1/checks", headers=auth("consents:read"))

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"subject", "purposes"}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/subjects/person/x/consents"),
    ("GET", "/v1/subjects/Customer/x/consent-events"),
    ("DELETE", "/v1/subjects/user/x"),
    ("GET", "/v1/subjects/people/x/export"),
    ("POST", "/v1/subjects/client/x/tokens"),
])
def test_an_unknown_subject_kind_is_a_json_404_naming_the_kinds(client, auth, method, path):
    response = client.open(path, method=method, headers=auth(*ALL_SCOPES))

    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    assert "visitor" in response.json["message"] and "customer" in response.json["message"]


def test_a_known_kind_is_routed_as_before(client, auth):
    assert client.get("/v1/subjects/visitor/v-1/consents", headers=auth("consents:read")).status_code == 200
    assert client.get("/v1/subjects/customer/c-1/consents", headers=auth("consents:read")).status_code == 200
    unknown_route = client.get("/v1/subjects/customer/c-1/nothing", headers=auth("consents:read"))
    assert unknown_route.status_code == 404 and "visitor" not in unknown_route.json["message"]
