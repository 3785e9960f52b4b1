"""On SQLite, a request that may write begins with BEGIN IMMEDIATE; one that only reads does not take the lock."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from consent_service import write_intent
from consent_service.extensions import db
from tests.hardening.conftest import ORIGIN

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def begun(app):
    """The BEGIN statements each request sends, in order."""
    sent: list[str] = []

    def remember(_connection, _cursor, statement, *_args):
        if statement.upper().startswith("BEGIN"):
            sent.append(statement.upper())

    event.listen(db.engine, "before_cursor_execute", remember)
    yield sent
    event.remove(db.engine, "before_cursor_execute", remember)


def test_writes_take_the_lock_up_front_and_reads_do_not(client, auth, prop, begun):
    writer, reader = auth("consents:write"), auth("consents:read")
    banner = f"/v1/banner/{prop.publishable_key}"
    cases = [
        (lambda: client.post("/v1/subjects/customer/c-1/consent-events", headers=writer, json={
            "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}),
         201, True),
        (lambda: client.get("/v1/subjects/customer/c-1/consents", headers=reader), 200, False),
        (lambda: client.post("/v1/checks", headers=reader, json={
            "subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"]}), 200, False),  # read-only POST
        (lambda: client.get(banner, headers={"Origin": ORIGIN}), 200, True),  # GET that writes
    ]
    for send, status, locks in cases:
        db.session.remove()  # each request starts its own transaction, as under gunicorn
        begun.clear()
        response = send()
        assert response.status_code == status, response.json
        assert ("BEGIN IMMEDIATE" in begun) is locks, (response.request.path, begun)


def test_a_request_classified_read_only_that_writes_is_an_error_in_tests(app):
    def sneaky():
        db.session.execute(text("INSERT INTO purposes_sneaky VALUES (1)"))
        return "wrote"

    db.session.execute(text("CREATE TABLE purposes_sneaky (n INTEGER)"))
    db.session.commit()
    app.add_url_rule("/sneaky-write", "sneaky", sneaky)
    with pytest.raises(write_intent.UndeclaredWrite, match="WRITING_ENDPOINTS"):
        app.test_client().get("/sneaky-write")


def test_every_exception_names_a_real_endpoint(app):
    endpoints = {rule.endpoint: rule.methods for rule in app.url_map.iter_rules()}
    for endpoint in write_intent.READ_ONLY_ENDPOINTS:
        assert endpoints[endpoint] - write_intent.SAFE_METHODS, endpoint  # a read-only exception to an unsafe method
    for endpoint in write_intent.WRITING_ENDPOINTS:
        assert endpoints[endpoint] & write_intent.SAFE_METHODS, endpoint
