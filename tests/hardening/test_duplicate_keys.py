"""A JSON object that names a key twice is refused (400 naming the key), not read last-wins; nothing is written."""
from __future__ import annotations

import json

import flask_smorest
import pytest
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.strict_json import DuplicateKey, StrictJsonParser, loads
from consent_service.subjects.models import Subject
from tests.hardening.conftest import ORIGIN

EVENT = '{"purpose": "marketing", "decision": "granted", "method": "api"}'


def stored() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(ConsentEvent)),
            db.session.scalar(select(func.count()).select_from(Subject)))


def post_raw(client, url: str, body: str, headers: dict):
    return client.post(url, data=body.encode(), content_type="application/json", headers=headers)


def assert_refused(response, key: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["code"] == "bad_request"
    assert repr(key) in response.json["message"] and key in response.json["errors"]


@pytest.mark.parametrize(("body", "key"), [
    ('{"events": [%s], "notice_version": "v1", "notice_version": "v2"}' % EVENT, "notice_version"),
    ('{"events": [{"purpose": "marketing", "decision": "denied", "decision": "granted", "method": "api"}],'
     ' "notice_version": "v1"}', "decision"),
    ('{"events": [%s], "events": [], "notice_version": "v1"}' % EVENT, "events"),
])
def test_consent_events_with_a_duplicate_key_are_refused(client, auth, body, key):
    before = stored()
    response = post_raw(client, "/v1/subjects/customer/c-1/consent-events", body, auth("consents:write"))
    assert_refused(response, key)
    assert stored() == before


def test_checks_and_admin_writes_refuse_duplicate_keys(client, auth):
    check = '{"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "US", "country": "DE"}'
    assert_refused(post_raw(client, "/v1/checks", check, auth("consents:read")), "country")
    purpose = ('{"key": "surveys", "name": "Surveys", "name": "Umfragen", "description": "d", "category": "communication",'
               ' "legal_basis": "consent", "refusable": true}')
    assert_refused(post_raw(client, "/v1/purposes", purpose, auth("admin")), "name")


def test_a_banner_choice_with_a_duplicate_key_is_refused(client, prop):
    config = client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}).json
    body = ('{"choices": {"analytics": false, "analytics": true}, "method": "banner_custom", "notice_version": %s,'
            ' "banner_version": %s}' % (json.dumps(config["notice"]["version"]), json.dumps(config["banner_version"])))
    before = stored()
    response = post_raw(client, f"/v1/banner/{prop.publishable_key}/consents", body, {"Origin": ORIGIN})
    assert_refused(response, "analytics")
    assert stored() == before


def test_every_api_blueprint_parses_strictly(app):
    smorest = [blp for blp in app.blueprints.values() if isinstance(blp, flask_smorest.Blueprint)]
    assert smorest and all(isinstance(blp.ARGUMENTS_PARSER, StrictJsonParser) for blp in smorest)


def test_loads_refuses_a_repeat_in_any_object_and_nothing_else():
    assert loads(b'{"a": {"b": 1}, "c": [{"b": 2}, {"b": 3}]}') == {"a": {"b": 1}, "c": [{"b": 2}, {"b": 3}]}
    assert loads('{"a": 1, "A": 2}') == {"a": 1, "A": 2}
    repeats = (('{"a": 1, "a": 1}', "a"), ('{"": 1, "": 2}', ""), ('[{"x": {"y": 1, "y": 2}}]', "y"),
               ('{"\\u0061": 1, "a": 2}', "a"))
    for body, key in repeats:
        with pytest.raises(DuplicateKey) as refused:
            loads(body)
        assert refused.value.key == key
    with pytest.raises(json.JSONDecodeError):
        loads("\ufeff{}")
    with pytest.raises(json.JSONDecodeError):
        loads(b"\xff{}")
