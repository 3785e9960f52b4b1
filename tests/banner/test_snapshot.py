"""The banner reads properties and signing keys from the process's snapshot, validated, never
trusted: a property created, an origin added or removed, a signing key rotated or deleted, by
another app instance counts on the very next request."""
from __future__ import annotations

import jwt
import pytest
from sqlalchemy import event, func, select, text

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.tokens.models import IssuedToken
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookEvent
from consent_service.webhooks.signing import SecretCipher
from tests.banner.conftest import ORIGIN
from tests.conftest import ENCRYPTION_KEY

BLOG = "https://blog.example"
CHOICES = {"preferences": True, "analytics": False, "advertising": False}


@pytest.fixture
def other(app_with):
    """A second app instance on the same database, with its own snapshot and its own session."""
    return app_with()


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def _set_origins(other, admin: dict, prop, origins: list[str]) -> None:
    answer = other.test_client().patch(f"/v1/properties/{prop.id}", json={"allowed_origins": origins}, headers=admin)
    assert answer.status_code == 200, answer.json


def test_an_origin_added_by_another_instance_is_allowed_on_the_next_choice(choose, banner, prop, other, auth):
    admin = auth("admin")
    config = banner()
    assert choose(CHOICES, config=config).status_code == 201  # this app's snapshot holds the property
    refused = choose(CHOICES, config=config, headers={"Origin": BLOG})
    assert refused.status_code == 403 and refused.json["code"] == "origin_not_allowed"
    _set_origins(other, admin, prop, [ORIGIN, BLOG])
    # No configuration fetched in between: the choice itself notices that its snapshot is stale.
    allowed = choose(CHOICES, config=config, headers={"Origin": BLOG})
    assert allowed.status_code == 201, allowed.json
    assert allowed.headers["Access-Control-Allow-Origin"] == BLOG


def test_an_origin_removed_by_another_instance_is_refused_on_the_next_choice(client, choose, banner, prop, other, auth):
    admin = auth("admin")
    config = banner()
    assert choose(CHOICES, config=config).status_code == 201
    written = _events()
    _set_origins(other, admin, prop, [BLOG])
    refused = choose(CHOICES, config=config)
    assert refused.status_code == 403 and refused.json["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert _events() == written  # the attempt made with the stale snapshot was rolled back
    preflight = client.options(f"/v1/banner/{prop.publishable_key}/consents",
                               headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}).status_code == 403


def test_a_property_created_by_another_instance_works_at_once(client, choose, other, auth):
    assert choose(CHOICES).status_code == 201  # this app's snapshot is loaded
    admin = auth("admin")
    other_client = other.test_client()
    created = other_client.post("/v1/properties", headers=admin, json={
        "name": "Blog", "allowed_origins": [BLOG], "notice_version": "7", "notice_url": f"{BLOG}/privacy",
    })
    assert created.status_code == 201, created.json
    key = created.json["publishable_key"]
    # The configuration was served by the other instance: this one has not seen the property at all.
    config = other_client.get(f"/v1/banner/{key}", headers={"Origin": BLOG}).json
    chosen = client.post(f"/v1/banner/{key}/consents", headers={"Origin": BLOG}, json={
        "choices": CHOICES, "method": "banner_custom", "notice_version": "7", "banner_version": config["banner_version"],
    })
    assert chosen.status_code == 201, chosen.json
    assert chosen.headers["Access-Control-Allow-Origin"] == BLOG


def test_an_unknown_key_is_404_on_every_banner_endpoint(client, choose):
    assert choose(CHOICES).status_code == 201
    url = "/v1/banner/pk_nope"
    for answer in (client.get(url, headers={"Origin": ORIGIN}),
                   client.post(f"{url}/consents", headers={"Origin": ORIGIN}, json={}),
                   client.options(f"{url}/consents", headers={"Origin": ORIGIN})):
        assert answer.status_code == 404
        assert answer.json == {"code": "not_found", "message": "No property has this publishable key.", "status": 404}
        assert "Access-Control-Allow-Origin" not in answer.headers


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_token_signed_with_a_key_rotated_by_another_instance_keeps_the_visitor_at_once(choose, banner, other, clock):
    config = banner()
    first = choose(CHOICES, config=config).json  # this app's snapshot holds the signing key of `first`
    with other.app_context():
        runtime().keystore.rotate(session=db.session, now=clock())
        db.session.commit()
    # The other instance signs the visitor's next token with the new key ...
    with other.test_client() as other_client:
        again = other_client.post(f"/v1/banner/{config['property']['key']}/consents", headers={"Origin": ORIGIN}, json={
            "choices": CHOICES, "method": "banner_custom", "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"], "token": first["token"],
        }).json
    assert again["visitor_id"] == first["visitor_id"] and _kid(again["token"]) != _kid(first["token"])
    # ... which this instance, whose snapshot has never seen that key, accepts at once.
    third = choose(CHOICES, config=config, token=again["token"]).json
    assert third["visitor_id"] == first["visitor_id"]


def test_a_token_whose_key_was_deleted_elsewhere_is_refused_at_once(choose, banner, other, clock):
    config = banner()
    first = choose(CHOICES, config=config).json
    with other.app_context():
        runtime().keystore.rotate(session=db.session, now=clock())  # the old key stays published, retired
        db.session.commit()
    assert choose(CHOICES, config=config, token=first["token"]).json["visitor_id"] == first["visitor_id"]
    with other.app_context():
        # Plain SQL, as an operator would remove a compromised key: the triggers still count it.
        db.session.execute(text("DELETE FROM signing_keys WHERE kid = :kid"), {"kid": _kid(first["token"])})
        db.session.commit()
    assert choose(CHOICES, config=config, token=first["token"]).json["visitor_id"] != first["visitor_id"]


def _statements(work) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_a_choice_reads_no_property_nor_key_and_its_statements_are_counted(client, prop, banner):
    """On PostgreSQL a new visitor's choice is one statement, which commits by itself: the subject,
    events, states, rollup and issued token, written only while the generation holds and no webhook
    endpoint is enabled; a returning visitor's is two, the subject's read (with the generation) and
    that write. The key that signed a returning visitor's token comes from the snapshot."""
    url, config = f"/v1/banner/{prop.publishable_key}/consents", banner()

    def choose(**extra):
        answer = client.post(url, headers={"Origin": ORIGIN}, json={
            "choices": CHOICES, "method": "banner_custom", "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"], **extra,
        })
        assert answer.status_code == 201, answer.json
        return answer.json

    token = choose()["token"]  # creates the signing key, which moves the generation
    choose()  # warm: the snapshot (with that key), the banner version and the active key are in memory
    new_visitor = _statements(choose)
    returning = _statements(lambda: choose(token=token))
    assert not any(f"FROM {table}" in statement for statement in new_visitor + returning
                   for table in ("properties", "signing_keys"))
    # SQLite, in process, writes one statement per table and reads the states on their own.
    expected = {"postgresql": (1, 2), "sqlite": (8, 9)}[db.engine.dialect.name]
    assert (len(new_visitor), len(returning)) == expected


def test_with_a_webhook_endpoint_a_choice_is_written_in_a_transaction_with_its_outbox_row(app, clock, choose):
    """The one-statement write of a new visitor refuses to write while an endpoint is enabled (it
    cannot write the outbox too); the choice is then made in a transaction, with its webhook."""
    endpoint, _ = webhooks.create_endpoint(
        session=db.session, url="https://hooks.example.com/c", event_types=["consent.changed"],
        cipher=SecretCipher((ENCRYPTION_KEY,)), allow_private=True, enabled=True, now=clock(),
    )
    db.session.commit()
    answer = choose(CHOICES)
    assert answer.status_code == 201, answer.json
    outbox = db.session.scalars(select(WebhookEvent)).all()
    assert [event.payload["data"]["subject"]["id"] for event in outbox] == [answer.json["visitor_id"]]
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == len(outbox[0].payload["data"]["events"])
    assert db.session.scalar(select(func.count()).select_from(IssuedToken)) == 1


def test_new_visitor_ids_sort_by_time_and_stay_unguessable(app, clock, choose):
    """New visitors land at the right edge of the subjects' index: ids sort by their first choice's time."""
    first = choose(CHOICES).json["visitor_id"]
    clock.advance(milliseconds=3)
    second = choose(CHOICES).json["visitor_id"]
    assert first < second and first.startswith("v_") and len(first) == len(second) == 2 + 12 + 22
    assert first[:14] != second[:14] and first[14:] != second[14:]
