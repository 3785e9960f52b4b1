"""Hostile JSON bodies get a 4xx JSON error and write nothing: another encoding, numbers longer than Python
converts, and values with a trailing newline (a `$` in a pattern matched with `match` accepts one)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.request_guards import MAX_JSON_DEPTH, json_depth
from tests.hardening.conftest import ORIGIN

ROOT = Path(__file__).resolve().parents[2]
CHECK = '{"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"]%s}'
WRITE = '{"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"%s}'
# In UTF-16 and UTF-32, U+2200 holds a byte 0x22 (a quote, read byte by byte): a scan of the raw bytes sees a
# string that never closes and no brackets after it, while json.loads decodes the text and recurses.
DEEP = '["\u2200", ' + "[" * 3000 + "]" * 3000 + "]"
OTHER_ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"]
LONG_NUMBER = "9" * (sys.get_int_max_str_digits() + 700)


def events_written() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def banner_choice(client, prop, data: bytes, content_type: str = "application/json"):
    return client.post(f"/v1/banner/{prop.publishable_key}/consents", data=data,
                       headers={"Origin": ORIGIN, "Content-Type": content_type})


def choice_body(client, prop, **changes) -> str:
    config = client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}).json
    body = {"choices": {"analytics": True}, "method": "banner_custom", "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"]}
    return json.dumps({**body, **changes})


def test_the_deep_body_defeats_a_byte_scan_in_utf16():
    assert json_depth(DEEP.encode("utf-16-le"), limit=MAX_JSON_DEPTH) <= MAX_JSON_DEPTH
    assert json_depth(DEEP.encode("utf-8"), limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH


@pytest.mark.parametrize("encoding", OTHER_ENCODINGS)
def test_a_json_body_not_in_utf8_is_a_415_with_or_without_a_key(client, auth, prop, encoding):
    headers = {"Content-Type": "application/json"}
    keyed = headers | auth("consents:read", "consents:write")
    responses = [
        client.post("/v1/checks", data=DEEP.encode(encoding), headers=headers),
        client.post("/v1/checks", data=DEEP.encode(encoding), headers=keyed),
        client.post("/v1/checks", data=(CHECK % "").encode(encoding), headers=keyed),
        client.post("/v1/subjects/customer/c-1/consent-events", data=DEEP.encode(encoding), headers=keyed),
        client.post("/v1/subjects/customer/c-1/consent-events", data=(WRITE % "").encode(encoding), headers=keyed),
        banner_choice(client, prop, DEEP.encode(encoding)),
        banner_choice(client, prop, choice_body(client, prop).encode(encoding)),
    ]
    for response in responses:
        assert response.status_code == 415, (encoding, response.status_code, response.get_data()[:300])
        assert response.json["code"] == "unsupported_media_type"
    assert events_written() == 0


def test_a_charset_other_than_utf8_is_a_415_and_utf8_goes_through(client, auth):
    headers = auth("consents:write")
    path = "/v1/subjects/customer/c-1/consent-events"
    refused = client.post(path, data=(WRITE % "").encode(), headers=headers | {"Content-Type": "application/json; charset=utf-16"})
    assert refused.status_code == 415 and refused.json["code"] == "unsupported_media_type"
    assert events_written() == 0
    accepted = client.post(path, data=(WRITE % "").encode(), headers=headers | {"Content-Type": "application/json; charset=UTF-8"})
    assert accepted.status_code == 201, accepted.json


def test_a_number_longer_than_python_converts_is_a_400(client, auth, prop):
    headers = auth("consents:read", "consents:write") | {"Content-Type": "application/json"}
    responses = [
        client.post("/v1/checks", data=CHECK % f', "gpc": {LONG_NUMBER}', headers={"Content-Type": "application/json"}),
        client.post("/v1/checks", data=CHECK % f', "gpc": {LONG_NUMBER}', headers=headers),
        client.post("/v1/checks", data='{"checks": [%s]}' % (CHECK % f', "gpc": -{LONG_NUMBER}'), headers=headers),
        client.post("/v1/subjects/customer/c-1/consent-events", data=WRITE % f', "age": {LONG_NUMBER}', headers=headers),
        banner_choice(client, prop, choice_body(client, prop).replace("true", LONG_NUMBER).encode()),
    ]
    for response in responses:
        assert response.status_code == 400, (response.status_code, response.get_data()[:300])
        assert response.json["code"] == "bad_request" and "digits" in response.json["message"]
    assert events_written() == 0
    # The same digits in a string are text, for the schema to judge.
    response = client.post("/v1/checks", data=CHECK.replace("c-1", LONG_NUMBER) % "", headers=headers)
    assert response.status_code == 422 and "subject.id" in response.json["errors"], response.json


@pytest.mark.parametrize("extra", [', "country": "DE\\n"', ', "destination_country": "US\\n"',
                                   ', "country": "DE\\r\\n"'])
def test_a_trailing_newline_is_not_a_country_in_a_consent_write(client, auth, extra):
    response = client.post("/v1/subjects/customer/c-1/consent-events", data=WRITE % extra,
                           headers=auth("consents:write") | {"Content-Type": "application/json"})
    assert response.status_code == 422, response.json
    assert events_written() == 0


def test_a_trailing_newline_is_refused_wherever_a_pattern_applies(client, auth, prop):
    headers = auth("consents:read", "consents:write") | {"Content-Type": "application/json"}
    purpose = WRITE.replace('"marketing"', '"marketing\\n"') % ""
    responses = [
        client.post("/v1/subjects/customer/c-1/consent-events", data=purpose, headers=headers),
        client.post("/v1/checks", data=CHECK % ', "country": "DE\\n"', headers=headers),
        client.post("/v1/checks", data=CHECK.replace('"marketing"', '"marketing\\n"') % "", headers=headers),
        client.get(f"/v1/banner/{prop.publishable_key}", query_string={"country": "DE\n"}, headers={"Origin": ORIGIN}),
        banner_choice(client, prop, choice_body(client, prop, choices={"analytics\n": True}).encode()),
    ]
    for response in responses:
        assert response.status_code == 422, (response.status_code, response.json)
    assert events_written() == 0


PATTERN_CALL = re.compile(r"""(?:re\.(?:compile|match|search)|Regexp|FullMatch)\(\s*r?["'][^"']*\$["']""")


def test_no_pattern_in_the_service_relies_on_a_dollar_or_on_marshmallows_regexp():
    """Python's `$` also matches before a final newline: patterns are matched whole (fullmatch, FullMatch)."""
    offenders = []
    for path in sorted((ROOT / "consent_service").rglob("*.py")):
        text = path.read_text()
        offenders += [f"{path.name}: {match.group(0)}" for match in PATTERN_CALL.finditer(text)]
        offenders += [f"{path.name}: validate.Regexp" for _ in re.finditer(r"validate\.Regexp\(", text)]
    assert offenders == []
