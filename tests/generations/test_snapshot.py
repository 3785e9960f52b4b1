"""Keys, purposes and notices cached per process are validated, never trusted: a change made by
another app instance (another worker, another server, plain SQL) is seen on the next request."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from consent_service.apikeys import service as apikeys
from consent_service.extensions import db
from consent_service.generations import service as generations
from consent_service.notices import service as notices
from consent_service.purposes import service as purposes
from consent_service.runtime import runtime

CHECK = "/v1/checks"
STATE = "/v1/subjects/customer/c-1/consents"


def _check(client, headers, *purpose_keys: str, subject: str = "c-1"):
    return client.post(CHECK, json={"subject": {"kind": "customer", "id": subject}, "purposes": list(purpose_keys)},
                       headers=headers)


@pytest.fixture
def other(app_with):
    """A second app instance on the same database, with its own cache and its own session."""
    return app_with()


def test_a_key_revoked_by_another_instance_is_refused_on_the_next_request(client, make_key, other, clock):
    key = make_key("consents:read")
    headers = {"Authorization": f"Bearer {key}"}
    assert _check(client, headers, "marketing").status_code == 200  # the key is now in this app's cache
    with other.app_context():
        apikeys.revoke_key(session=db.session, prefix=key[:11], now=clock())
        db.session.commit()
    assert _check(client, headers, "marketing").status_code == 401
    assert client.get(STATE, headers=headers).status_code == 401


def test_a_key_created_by_another_instance_works_at_once(client, auth, other, clock):
    assert _check(client, auth("consents:read"), "marketing").status_code == 200  # this app's cache is loaded
    with other.app_context():
        _, plain = apikeys.create_key(session=db.session, name="elsewhere", scopes=["consents:read"], now=clock())
        db.session.commit()
    assert _check(client, {"Authorization": f"Bearer {plain}"}, "marketing").status_code == 200


def test_a_purpose_added_by_another_instance_is_known_on_the_next_check(client, auth, other, clock):
    headers = auth("consents:read", "consents:write")
    assert _check(client, headers, "marketing").status_code == 200
    assert _check(client, headers, "loyalty_points").status_code == 422
    with other.app_context():
        purposes.create_purpose(session=db.session, key="loyalty_points", name="Loyalty points", description="",
                                category="processing", legal_basis="consent", refusable=True, defaults={}, now=clock())
        db.session.commit()
    answer = _check(client, headers, "loyalty_points")
    assert answer.status_code == 200
    assert answer.get_json()["decisions"]["loyalty_points"]["allowed"] is False
    recorded = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "loyalty_points", "decision": "granted", "method": "api"}], "notice_version": "v1",
    })
    assert recorded.status_code == 201
    assert _check(client, headers, "loyalty_points").get_json()["allowed"] is True


def test_a_material_notice_published_by_another_instance_counts_on_the_next_request(client, auth, other, clock):
    headers = auth("consents:read", "consents:write")
    client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1",
    })
    assert client.get(STATE, headers=headers).get_json()["consents"]["marketing"]["reconsent_required"] is False
    clock.advance(minutes=1)
    with other.app_context():
        notices.publish(session=db.session, kind="privacy", version="v2", material=True, purpose_keys=["marketing"],
                        url="https://example.com/v2", now=clock())
        db.session.commit()
    assert client.get(STATE, headers=headers).get_json()["consents"]["marketing"]["reconsent_required"] is True
    assert _check(client, headers, "marketing").get_json()["decisions"]["marketing"]["reason"] == "reconsent_required"


def test_any_write_to_a_watched_table_bumps_the_generation(app, session):
    before = generations.current_generation(session=session)
    # Plain SQL, bypassing every service: the database's triggers still count it.
    session.execute(text("UPDATE purposes SET name = name WHERE key = 'marketing'"))
    session.commit()
    assert generations.current_generation(session=session) > before


def test_every_change_to_a_property_bumps_the_generation_and_the_snapshot_has_it(app, session):
    """The banner takes properties from the snapshot: insert, update and delete, even in plain SQL,
    must each move the generation (migration 0008's triggers on properties)."""

    def bumps(statement: str) -> bool:
        before = generations.current_generation(session=session)
        session.execute(text(statement))
        session.commit()
        return generations.current_generation(session=session) > before

    assert bumps(
        "INSERT INTO properties (id, name, publishable_key, allowed_origins, default_language, purposes, texts,"
        " notice_version, notice_url, cookie_domain, accept_lifetime_days, reject_lifetime_days, gpc_honoured,"
        " created_at, updated_at) VALUES ('prop_sql', 'Plain SQL', 'pk_sql', '[\"https://sql.example\"]', 'en',"
        " '[\"necessary\"]', '{}', '1', 'https://sql.example/privacy', NULL, 365, 180, true,"
        " '2026-01-15 09:30:00', '2026-01-15 09:30:00')"
    )
    assert generations.load(session=session).properties["pk_sql"].allowed_origins == {"https://sql.example"}
    assert bumps("UPDATE properties SET allowed_origins = '[\"https://www.sql.example\"]' WHERE id = 'prop_sql'")
    assert generations.load(session=session).properties["pk_sql"].allowed_origins == {"https://www.sql.example"}
    assert bumps("UPDATE properties SET gpc_honoured = false WHERE id = 'prop_sql'")
    assert generations.load(session=session).properties["pk_sql"].gpc_honoured is False
    assert bumps("DELETE FROM properties WHERE id = 'prop_sql'")
    assert "pk_sql" not in generations.load(session=session).properties


def test_every_change_to_a_signing_key_bumps_the_generation_and_the_snapshot_has_it(app, session, clock):
    """A returning visitor's token is verified with the snapshot's public keys (migration 0009)."""
    keystore = runtime().keystore

    def bumps(change) -> bool:
        before = generations.current_generation(session=session)
        change()
        session.commit()
        return generations.current_generation(session=session) > before

    first = keystore.active(session=session, now=clock()).kid
    assert first in generations.load(session=session).signing_keys
    assert bumps(lambda: keystore.rotate(session=session, now=clock()))
    assert generations.load(session=session).signing_keys[first].retired_at == clock()
    assert bumps(lambda: session.execute(text("UPDATE signing_keys SET retired_at = NULL WHERE kid = :kid"), {"kid": first}))
    assert generations.load(session=session).signing_keys[first].retired_at is None
    assert bumps(lambda: session.execute(text("DELETE FROM signing_keys WHERE kid = :kid"), {"kid": first}))
    assert first not in generations.load(session=session).signing_keys


def test_a_check_is_one_statement_and_a_batch_of_100_too(app, client, auth):
    headers = auth("consents:read")
    assert _check(client, headers, "marketing").status_code == 200  # warm: the snapshot is loaded
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert _check(client, headers, "marketing", "analytics", "recording").status_code == 200
        single = len(statements)
        statements.clear()
        batch = {"checks": [{"subject": {"kind": "customer", "id": f"c-{n}"}, "purposes": ["marketing"]} for n in range(100)]}
        assert len(client.post(CHECK, json=batch, headers=headers).get_json()["results"]) == 100
        batched = len(statements)
        statements.clear()
        assert client.get(STATE, headers=headers).status_code == 200
        state = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert (single, batched, state) == (1, 1, 1)


def test_checks_answer_the_same_from_the_fused_read_as_the_rules_say(client, auth, app, session, clock):
    """Subject facts, states and suppression all come through the one read."""
    headers = auth("consents:read", "consents:write")
    client.post("/v1/subjects/customer/c-9/consent-events", headers=headers, json={
        "events": [{"purpose": "analytics", "decision": "granted", "method": "api"},
                   {"purpose": "marketing", "decision": "denied", "method": "api"}],
        "notice_version": "v1", "country": "DE",
    })
    answer = _check(client, headers, "analytics", "marketing", "necessary", subject="c-9").get_json()
    assert {k: (v["allowed"], v["reason"]) for k, v in answer["decisions"].items()} == {
        "analytics": (True, "granted"), "marketing": (False, "denied"), "necessary": (True, "not_refusable"),
    }
    unknown = _check(client, headers, "analytics", subject="nobody").get_json()
    assert unknown["decisions"]["analytics"]["reason"] == "opt_in_required"
