"""Cookie declarations through the admin API: meaning checked by the service, duplicates refused, nothing half-written."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.scanner import service as scanner

GA = {
    "name_pattern": "_ga_*",
    "domain": ".Shop.Example",
    "purpose": "analytics",
    "retention": "2 years",
    "description": {"en": "Counts visits.", "de": "Zählt Besuche."},
}


@pytest.fixture
def prop(app, clock):
    created = properties.create_property(
        session=db.session, name="Shop", allowed_origins=["https://shop.example"], notice_version="1",
        notice_url="https://shop.example/privacy", now=clock(),
    )
    db.session.commit()
    return created


@pytest.fixture
def admin(auth):
    return auth("admin")


def _url(prop, rest=""):
    return f"/v1/properties/{prop.id}/cookie-declarations{rest}"


def test_create_read_patch_delete_a_declaration(client, admin, prop, clock):
    created = client.post(_url(prop), json=GA, headers=admin)
    assert created.status_code == 201, created.json
    declared = created.json
    assert declared["id"].startswith("ckd_") and declared["property_id"] == prop.id
    assert declared["domain"] == "shop.example"  # lower case, without the Domain attribute's dot
    assert declared["description"] == GA["description"]

    assert client.get(_url(prop, f"/{declared['id']}"), headers=admin).json == declared
    assert client.get(_url(prop), headers=admin).json == {"declarations": [declared]}

    clock.advance(minutes=5)
    patched = client.patch(_url(prop, f"/{declared['id']}"), json={"retention": "13 months", "domain": None},
                           headers=admin)
    assert patched.status_code == 200, patched.json
    assert patched.json["retention"] == "13 months" and patched.json["domain"] is None
    assert patched.json["name_pattern"] == "_ga_*" and patched.json["updated_at"] != declared["updated_at"]

    deleted = client.delete(_url(prop, f"/{declared['id']}"), headers=admin)
    assert deleted.status_code == 200 and deleted.json["id"] == declared["id"]
    assert client.get(_url(prop, f"/{declared['id']}"), headers=admin).status_code == 404
    assert client.get(_url(prop), headers=admin).json == {"declarations": []}


def test_put_replaces_the_whole_declaration_or_nothing(client, admin, prop):
    assert client.post(_url(prop), json=GA, headers=admin).status_code == 201
    session_cookie = {"name_pattern": "sid", "purpose": "necessary", "retention": "session",
                      "description": {"en": "Keeps you logged in."}}
    refused = client.put(_url(prop), json={"declarations": [session_cookie, {**GA, "purpose": "dancing"}]},
                         headers=admin)
    assert refused.status_code == 422 and "declarations.1.purpose" in refused.json["errors"], refused.json
    assert [d["name_pattern"] for d in client.get(_url(prop), headers=admin).json["declarations"]] == ["_ga_*"]

    twice = client.put(_url(prop), json={"declarations": [session_cookie, session_cookie]}, headers=admin)
    assert twice.status_code == 422 and "declarations.1.name_pattern" in twice.json["errors"]

    replaced = client.put(_url(prop), json={"declarations": [session_cookie, GA]}, headers=admin)
    assert replaced.status_code == 200, replaced.json
    assert [(d["purpose"], d["name_pattern"]) for d in replaced.json["declarations"]] == [
        ("analytics", "_ga_*"), ("necessary", "sid")]
    assert client.get(_url(prop), headers=admin).json == replaced.json


@pytest.mark.parametrize("changes, field", [
    ({"name_pattern": "  "}, "name_pattern"),
    ({"name_pattern": "**", "domain": None}, "name_pattern"),  # every cookie of every site: no
    ({"name_pattern": "*", "domain": None}, "name_pattern"),
    ({"name_pattern": "a b"}, "name_pattern"),
    ({"domain": "https://shop.example/"}, "domain"),
    ({"domain": "shop.example:8080"}, "domain"),
    ({"purpose": "marketing"}, "purpose"),  # a catalogue purpose, but neither the banner's nor a cookie category
    ({"purpose": "Not A Key"}, "purpose"),
    ({"retention": " "}, "retention"),
    ({"description": {"de": "Nur deutsch."}}, "description.en"),
    ({"description": {"en": "Counts.", "deutsch": "Zählt."}}, "description.deutsch.key"),
])
def test_bad_declarations_are_refused_and_nothing_is_stored(client, admin, prop, changes, field):
    response = client.post(_url(prop), json={**GA, **changes}, headers=admin)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert client.get(_url(prop), headers=admin).json == {"declarations": []}


def test_star_alone_declares_what_one_host_sets_and_is_sent(client, admin, prop):
    tracker = {**GA, "name_pattern": "*", "domain": "Tracker.Example"}
    response = client.post(_url(prop), json=tracker, headers=admin)
    assert response.status_code == 201, response.json
    assert (response.json["name_pattern"], response.json["domain"]) == ("*", "tracker.example")


def test_a_bad_patch_changes_nothing(client, admin, prop):
    declared = client.post(_url(prop), json=GA, headers=admin).json
    response = client.patch(_url(prop, f"/{declared['id']}"), json={"retention": "forever", "purpose": "dancing"},
                            headers=admin)
    assert response.status_code == 422 and list(response.json["errors"]) == ["purpose"]
    assert client.get(_url(prop, f"/{declared['id']}"), headers=admin).json == declared


def test_a_purpose_of_the_banner_is_accepted_beside_the_cookie_categories(client, admin, app, clock):
    made = properties.create_property(
        session=db.session, name="Blog", allowed_origins=["https://blog.example"], notice_version="1",
        notice_url="https://blog.example/privacy", purposes=["necessary", "analytics"], now=clock(),
    )
    db.session.commit()
    for purpose in ("analytics", "advertising"):  # advertising: a cookie category, though the banner does not ask
        assert client.post(_url(made), json={**GA, "purpose": purpose, "name_pattern": purpose},
                           headers=admin).status_code == 201


@pytest.mark.parametrize("domain", [None, "shop.example"])
def test_the_same_pattern_on_the_same_domain_is_a_conflict(client, admin, prop, domain):
    first = client.post(_url(prop), json={**GA, "domain": domain}, headers=admin)
    assert first.status_code == 201
    again = client.post(_url(prop), json={**GA, "domain": domain.upper() if domain else None, "purpose": "necessary"},
                        headers=admin)
    assert again.status_code == 409 and again.json["code"] == "duplicate_declaration", again.json
    other_domain = client.post(_url(prop), json={**GA, "domain": "cdn.shop.example"}, headers=admin)
    assert other_domain.status_code == 201
    # Patching one into the other is refused too, before the database's constraint would answer.
    clash = client.patch(_url(prop, f"/{other_domain.json['id']}"), json={"domain": domain}, headers=admin)
    assert clash.status_code == 409 and clash.json["code"] == "duplicate_declaration"
    assert len(client.get(_url(prop), headers=admin).json["declarations"]) == 2


def test_unknown_property_or_declaration_is_404(client, admin, prop):
    assert client.get("/v1/properties/prop_nope/cookie-declarations", headers=admin).status_code == 404
    assert client.post("/v1/properties/prop_nope/cookie-declarations", json=GA, headers=admin).status_code == 404
    declared = client.post(_url(prop), json=GA, headers=admin).json
    other = properties.create_property(
        session=db.session, name="Other", allowed_origins=["https://other.example"], notice_version="1",
        notice_url="https://other.example/privacy", now=prop.created_at,
    )
    db.session.commit()
    # A declaration is reached only through its own property.
    missing = client.get(f"/v1/properties/{other.id}/cookie-declarations/{declared['id']}", headers=admin)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    assert client.delete(f"/v1/properties/{other.id}/cookie-declarations/{declared['id']}",
                         headers=admin).status_code == 404


def test_declarations_need_the_admin_scope(client, auth, prop):
    assert client.get(_url(prop)).status_code == 401
    writer = auth("consents:write", "consents:read")
    assert client.get(_url(prop), headers=writer).status_code == 403
    assert client.post(_url(prop), json=GA, headers=writer).status_code == 403
    assert client.delete(_url(prop, "/ckd_x"), headers=writer).status_code == 403


def test_the_declaration_by_purpose_in_a_language(client, admin, prop):
    client.post(_url(prop), json=GA, headers=admin)
    client.post(_url(prop), json={**GA, "name_pattern": "_gid", "domain": None, "retention": "1 day"}, headers=admin)
    client.post(_url(prop), json={"name_pattern": "sid", "purpose": "necessary", "retention": "session",
                                  "description": {"en": "Keeps you logged in."}}, headers=admin)
    assert scanner.declaration_by_purpose(session=db.session, property_id=prop.id, language="de") == {
        "analytics": [
            {"name": "_ga_*", "domain": "shop.example", "retention": "2 years", "description": "Zählt Besuche."},
            {"name": "_gid", "domain": None, "retention": "1 day", "description": "Zählt Besuche."},
        ],
        "necessary": [{"name": "sid", "domain": None, "retention": "session", "description": "Keeps you logged in."}],
    }
