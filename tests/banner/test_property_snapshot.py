"""The banner reads properties from the process's snapshot, validated, never trusted: a property
created, or an origin added or removed, by another app instance counts on the very next request."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from tests.banner.conftest import ORIGIN

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


def test_a_choice_reads_no_property_and_its_statements_are_counted(client, prop, banner):
    """On PostgreSQL a new visitor is three statements: the subject's lock (with the generation),
    the write of events, states, subject and rollup, and the issued token; a returning one adds
    the read of the key that signed its token."""
    url, config = f"/v1/banner/{prop.publishable_key}/consents", banner()

    def choose(**extra):
        answer = client.post(url, headers={"Origin": ORIGIN}, json={
            "choices": CHOICES, "method": "banner_custom", "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"], **extra,
        })
        assert answer.status_code == 201, answer.json
        return answer.json

    token = choose()["token"]  # warm: the snapshot, the banner version and the signing key are in memory
    new_visitor = _statements(choose)
    returning = _statements(lambda: choose(token=token))
    assert not any("FROM properties" in statement for statement in new_visitor + returning)
    # SQLite, in process, writes one statement per table and reads the states on their own.
    expected = {"postgresql": (3, 4), "sqlite": (8, 10)}[db.engine.dialect.name]
    assert (len(new_visitor), len(returning)) == expected
