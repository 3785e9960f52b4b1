"""NUL characters and unpaired surrogates are refused with the same 422 on both databases; JSON nested too deep
is refused unparsed."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.request_guards import MAX_JSON_DEPTH, json_depth


def test_nul_in_query_path_and_body_is_a_422(client, auth):
    headers = auth("admin", "consents:write")
    cases = [
        client.get("/v1/notices", query_string={"property": "\x00"}, headers=headers),
        client.get("/v1/subjects/customer/a%00b/consents", headers=headers),
        client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v\x001"}),
        client.post("/v1/purposes", headers=headers, json={"key\x00": "x"}),
    ]
    for response in cases:
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_error"


def test_nul_is_found_in_json_and_its_spelled_out_escape_is_not_a_nul(client, auth):
    headers = auth("consents:write") | {"Content-Type": "application/json"}
    body = '{"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "%s"}'
    response = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers,
                           data=(body % "v\\u00001").encode())
    assert response.status_code == 422 and response.json["code"] == "validation_error", response.json
    for encoding in ("utf-16", "utf-32-le"):  # only UTF-8 is read (tests/hardening/test_json_bodies.py)
        response = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers,
                               data=(body % "v\\u00001").encode(encoding))
        assert response.status_code == 415, (encoding, response.json)
    # A backslash followed by "u0000" is six plain characters, no NUL: the request goes through.
    response = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers,
                           data=(body % "v\\\\u00001").encode())
    assert response.status_code == 201, response.json
    assert response.json["consents"]["marketing"]["notice_version"] == "v\\u00001"


def test_an_unpaired_surrogate_escape_is_a_422_and_a_paired_one_is_text(client, auth):
    """json.loads turns "\\ud800" into a string no encoder takes: refused before a hash or query fails on it."""
    headers = auth("consents:read", "consents:write") | {"Content-Type": "application/json"}
    check = '{"subject": {"kind": "customer", "id": "c-%s"}, "purposes": ["marketing"]}'
    write = '{"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v%s"}'
    for path, body in (("/v1/checks", check), ("/v1/subjects/customer/c-1/consent-events", write)):
        for escape, encoding in (("\\ud800", "utf-8"), ("\\uDFFF", "utf-8"), ("\\udbff", "utf-8")):
            response = client.post(path, headers=headers, data=(body % escape).encode(encoding))
            assert response.status_code == 422, (path, escape, response.json)
            assert response.json["code"] == "validation_error" and "json" in response.json["errors"]
    # A pair is one character (U+1F600): the write goes through and keeps it.
    response = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers,
                           data=(write % "\\ud83d\\ude00").encode())
    assert response.status_code == 201, response.json
    assert response.json["consents"]["marketing"]["notice_version"] == "v\U0001F600"


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_json_nested_deeper_than_the_limit_is_a_400_before_any_parsing(client, auth):
    headers = auth("consents:write") | {"Content-Type": "application/json"}
    # Far deeper than Python's recursion limit: parsed, this would be a RecursionError and a 500.
    for body in (nested(MAX_JSON_DEPTH + 1), "[" * 30_000 + "]" * 30_000):
        response = client.post("/v1/subjects/customer/c-1/consent-events", data=body, headers=headers)
        assert response.status_code == 400, response.json
        assert response.json["code"] == "bad_request" and "nest" in response.json["message"]
    # Unauthenticated, on a public endpoint too: the guard runs before the view.
    assert client.post("/v1/checks", data=nested(100), headers={"Content-Type": "application/json"}).status_code == 400
    assert client.get("/v1/subjects/customer/c-1/consents", headers=auth("consents:read")).json["revision"] == 0


def test_json_at_the_limit_reaches_the_schema(client, auth):
    response = client.post("/v1/subjects/customer/c-1/consent-events", data=nested(MAX_JSON_DEPTH),
                           headers=auth("consents:write") | {"Content-Type": "application/json"})
    assert response.status_code == 422  # the schema refuses it, not the depth guard


@pytest.mark.parametrize("text, depth", [
    ("{}", 1),
    ('{"a": [1, {"b": []}]}', 4),
    ('["[[[[", "]]", {"k": "{\\"{"}]', 2),  # brackets inside strings, escaped quotes too, nest nothing
    ('"\\\\"', 0),
    ('[[["unterminated', 3),  # stops at a string that never ends
    ("[" * 40, 33),  # stops counting once past the limit
])
def test_depth_is_read_from_the_raw_bytes(text, depth):
    assert json_depth(text.encode(), limit=32) == depth


def test_depth_of_hostile_bodies():
    # Bodies an earlier, quadratic version took minutes over: a regression shows as this test hanging.
    hostile = b'"' + b'\\"' * 40_000  # a string that never closes, full of escaped quotes
    assert json_depth(hostile, limit=32) == 0
    assert json_depth(b"[]" * 40_000, limit=32) == 1


def depth_token_by_token(body: bytes, limit: int) -> int:
    """The reference reading: every string, bracket or unclosed quote in turn."""
    depth = deepest = 0
    for match in re.finditer(rb'"(?:[^"\\]|\\.)*+"|[\[\]{}]|"', body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif token in (b"]", b"}"):
            depth -= 1
        elif token == b'"':
            break  # a string never closed
    return deepest


@settings(max_examples=500, deadline=None)
@given(body=st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b" ", b"\n", b"\xc3\xa9", b'"x"', b"[[", b"]]"]),
                     max_size=80).map(b"".join), limit=st.integers(0, 6))
def test_depth_is_the_token_by_token_reading(body, limit):
    assert json_depth(body, limit=limit) == depth_token_by_token(body, limit)
