"""A key revoked by another instance (or process) sharing the database is refused by this one on its
next request, before any idempotent replay or body validation: 401, nothing replayed, nothing written."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consent_service.apikeys import service as apikeys
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from tests.conftest import ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
WRITE_PATH = "/v1/subjects/customer/c-1/consent-events"
WRITE = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}
CHECK = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"]}


def events_written() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def revoke_in_another_instance(app_with, clock, plain: str) -> None:
    db.session.remove()  # this instance's requests ended (the test client shares the test's app context)
    other = app_with()
    with other.app_context():
        apikeys.revoke_key(session=db.session, prefix=plain[:11], now=clock())
        db.session.commit()


def revoke_in_another_process(database_url: str, plain: str) -> None:
    db.session.remove()
    env = {**os.environ, "FLASK_APP": "consent_service:create_cli_app", "CONSENT_ENV": "testing", "DATABASE_URL": database_url,
           "SECRET_KEY": "revoking-secret-key-long-enough-for-production", "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
           "ERASURE_PEPPER": "revoking-erasure-pepper-long-enough-for-production"}
    done = subprocess.run([sys.executable, "-m", "flask", "keys", "revoke", plain[:11]], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def assert_refused(response) -> None:
    assert response.status_code == 401, (response.status_code, response.json)
    assert response.json["code"] == "unauthorized"
    assert "Idempotent-Replayed" not in response.headers


def revoke(how: str, *, app_with, clock, database_url: str, plain: str) -> None:
    if how == "instance":
        revoke_in_another_instance(app_with, clock, plain)
    else:
        revoke_in_another_process(database_url, plain)


@pytest.mark.parametrize("how", ["instance", "process"])
def test_a_key_revoked_elsewhere_replays_nothing(client, make_key, app_with, clock, database_url, how):
    plain = make_key("consents:read", "consents:write")
    keyed = {"Authorization": f"Bearer {plain}", "Idempotency-Key": "order-1"}
    assert client.post(WRITE_PATH, json=WRITE, headers=keyed).status_code == 201
    replayed = client.post(WRITE_PATH, json=WRITE, headers=keyed)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"

    revoke(how, app_with=app_with, clock=clock, database_url=database_url, plain=plain)

    assert_refused(client.post(WRITE_PATH, json=WRITE, headers=keyed))  # the stored answer is not replayed
    assert_refused(client.post(WRITE_PATH, json={**WRITE, "notice_version": "v2"}, headers=keyed))  # not a 409
    assert events_written() == 1


@pytest.mark.parametrize("how", ["instance", "process"])
def test_a_key_revoked_elsewhere_gets_a_401_before_its_body_is_validated(client, make_key, app_with, clock,
                                                                         database_url, how):
    plain = make_key("consents:read", "consents:write", "tokens:issue")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post("/v1/checks", json=CHECK, headers=headers).status_code == 200  # this instance's cache is warm

    revoke(how, app_with=app_with, clock=clock, database_url=database_url, plain=plain)

    assert_refused(client.post(WRITE_PATH, json={"events": []}, headers=headers))  # not a 422
    assert_refused(client.post(WRITE_PATH, json={**WRITE, "country": "Germany"}, headers=headers | {"Idempotency-Key": "x"}))
    assert_refused(client.post(WRITE_PATH, json={"events": [{"purpose": "no_such_purpose", "decision": "granted",
                                                             "method": "api"}], "notice_version": "v1"}, headers=headers))
    assert_refused(client.post("/v1/checks", json={"purposes": []}, headers=headers))
    assert_refused(client.post("/v1/checks", json=CHECK, headers=headers))
    assert_refused(client.post("/v1/subjects/customer/c-1/tokens", json={"ttl_seconds": "soon"}, headers=headers))
    assert_refused(client.get("/v1/subjects/customer/c-1/consents", query_string={"country": "Germany"},
                              headers=headers))
    assert events_written() == 0


def test_a_key_revoked_elsewhere_gets_a_401_not_a_403_for_a_scope_it_lacks(client, make_key, app_with, clock):
    plain = make_key("consents:read")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post(WRITE_PATH, json=WRITE, headers=headers).status_code == 403
    revoke_in_another_instance(app_with, clock, plain)
    assert_refused(client.post(WRITE_PATH, json=WRITE, headers=headers))
    assert events_written() == 0


def test_a_valid_key_still_gets_its_4xx_after_another_key_was_revoked(client, make_key, app_with, clock):
    revoked, kept = make_key("consents:write"), make_key("consents:write", "consents:read")
    assert client.post(WRITE_PATH, json=WRITE, headers={"Authorization": f"Bearer {revoked}"}).status_code == 201
    revoke_in_another_instance(app_with, clock, revoked)
    headers = {"Authorization": f"Bearer {kept}"}
    response = client.post(WRITE_PATH, json={"events": []}, headers=headers)
    assert response.status_code == 422 and "events" in response.json["errors"], response.json
    response = client.post("/v1/checks", json={"purposes": []}, headers=headers)
    assert response.status_code == 422, response.json
    response = client.post("/v1/checks", json=CHECK, headers=headers)
    assert response.status_code == 200, response.json
    assert client.post("/v1/checks", json=CHECK, headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
