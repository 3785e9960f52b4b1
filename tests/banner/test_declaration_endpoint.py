"""The public cookie declaration, and the declared cookies in the banner's configuration, per purpose and language."""
from __future__ import annotations

from consent_service.extensions import db
from consent_service.scanner import service as scanner
from tests.banner.conftest import ORIGIN

GA = {"name_pattern": "_ga_*", "domain": "shop.example", "purpose": "analytics", "retention": "2 years",
      "description": {"en": "Counts visits.", "de": "Zählt Besuche.", "fr": "Compte les visites."}}
SID = {"name_pattern": "sid", "purpose": "necessary", "retention": "session",
       "description": {"en": "Keeps your basket."}}


def _declare(prop, clock, *declared):
    for fields in declared:
        scanner.create_declaration(session=db.session, property_id=prop.id, fields=fields, now=clock())
    db.session.commit()


def _declaration(client, prop, **query):
    return client.get(f"/v1/banner/{prop.publishable_key}/declaration", query_string=query, headers={"Origin": ORIGIN})


def test_the_declaration_in_each_language_falls_back_to_english(client, prop, clock):
    _declare(prop, clock, GA, SID)
    for language, counts in (("en", "Counts visits."), ("de", "Zählt Besuche."), ("fr", "Compte les visites.")):
        answer = _declaration(client, prop, lang=language)
        assert answer.status_code == 200, answer.json
        assert answer.json == {
            "language": language,
            "purposes": {
                "analytics": [{"name": "_ga_*", "domain": "shop.example", "retention": "2 years",
                               "description": counts}],
                # Only in English: every language reads the English text.
                "necessary": [{"name": "sid", "domain": None, "retention": "session",
                               "description": "Keeps your basket."}],
            },
        }
        assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_the_language_follows_the_browser_then_the_default(client, prop, clock):
    _declare(prop, clock, GA)
    browser = client.get(f"/v1/banner/{prop.publishable_key}/declaration", headers={"Accept-Language": "fr-CH"})
    assert browser.json["language"] == "fr"
    assert browser.json["purposes"]["analytics"][0]["description"] == "Compte les visites."
    assert _declaration(client, prop, lang="xx").json["language"] == "en"


def test_the_declaration_is_cacheable_and_answers_304(client, prop, clock):
    _declare(prop, clock, GA)
    first = _declaration(client, prop, lang="de")
    assert first.headers["Cache-Control"] == "public, max-age=300" and "Accept-Language" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(f"/v1/banner/{prop.publishable_key}/declaration", query_string={"lang": "de"},
                       headers={"Origin": ORIGIN, "If-None-Match": etag})
    assert again.status_code == 304
    assert _declaration(client, prop, lang="fr").headers["ETag"] != etag


def test_a_property_declaring_nothing_has_an_empty_declaration(client, prop):
    assert _declaration(client, prop).json == {"language": "en", "purposes": {}}


def test_an_unknown_key_is_404_and_another_origin_403(client, prop):
    missing = client.get("/v1/banner/pk_nope/declaration")
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    refused = client.get(f"/v1/banner/{prop.publishable_key}/declaration", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_a_declaration_made_through_another_instance_is_listed_on_the_next_request(client, prop, app_with, auth):
    admin = auth("admin")
    assert _declaration(client, prop).json["purposes"] == {}  # this app's snapshot is loaded
    other = app_with().test_client()
    made = other.post(f"/v1/properties/{prop.id}/cookie-declarations", json=GA, headers=admin)
    assert made.status_code == 201, made.json
    assert list(_declaration(client, prop).json["purposes"]) == ["analytics"]
    other.delete(f"/v1/properties/{prop.id}/cookie-declarations/{made.json['id']}", headers=admin)
    assert _declaration(client, prop).json["purposes"] == {}


def test_the_banner_config_lists_the_declared_cookies_of_the_purposes_shown(banner, prop, clock):
    without = banner(lang="de")
    assert "declarations" not in without  # nothing declared: the configuration and its version as before
    _declare(prop, clock, GA, SID)
    config = banner(lang="de")
    assert config["declarations"] == {
        "analytics": [{"name": "_ga_*", "domain": "shop.example", "retention": "2 years",
                       "description": "Zählt Besuche."}],
        "necessary": [{"name": "sid", "domain": None, "retention": "session", "description": "Keeps your basket."}],
    }
    assert config["banner_version"] != without["banner_version"]  # the version covers what is listed


def test_cookies_of_purposes_the_banner_does_not_show_are_left_out_of_its_config(client, auth, banner, prop, clock):
    _declare(prop, clock, GA)
    admin = auth("admin")
    patched = client.patch(f"/v1/properties/{prop.id}", json={"purposes": ["necessary", "preferences"]}, headers=admin)
    assert patched.status_code == 200, patched.json
    assert "declarations" not in banner()
    assert list(_declaration(client, prop).json["purposes"]) == ["analytics"]  # the public list keeps it
