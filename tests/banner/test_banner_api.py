"""The banner endpoints: configuration, CORS, choices, visitor identity, GPC, evidence."""
from __future__ import annotations

import jwt
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.subjects import service as subjects
from tests.banner.conftest import ORIGIN

ALL = {"preferences": True, "analytics": True, "advertising": True}
NONE = {"preferences": False, "analytics": False, "advertising": False}


def events() -> list[ConsentEvent]:
    return db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.revision)).all()


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_config_shows_purposes_texts_regime_and_notice(banner, prop):
    config = banner(country="DE")
    assert config["property"] == {"key": prop.publishable_key, "name": "Shop"}
    assert config["regime"] == "opt_in"
    assert config["notice"] == {"version": "2026-01-01", "url": "https://shop.example/privacy"}
    assert [p["key"] for p in config["purposes"]] == ["necessary", "preferences", "analytics", "advertising"]
    necessary, *refusable = config["purposes"]
    assert necessary["refusable"] is False and necessary["preselected"] is True
    assert not any(p["preselected"] for p in refusable)  # nothing pre-ticked where consent is opt-in
    assert config["texts"]["accept_all"] == "Accept all"
    assert config["banner_version"].startswith("sha256:")
    assert config["gpc_honoured"] is True
    us = banner(cdn_country="US")
    # Opt-out purposes are pre-ticked in the US; sale/sharing (advertising) needs consent (rules.json).
    assert us["regime"] == "opt_out" and {p["key"]: p["preselected"] for p in us["purposes"]} == {
        "necessary": True, "preferences": True, "analytics": True, "advertising": False}
    assert us["banner_version"] != config["banner_version"]


def test_language_from_query_then_browser_then_default(client, prop, banner):
    assert banner(lang="de")["texts"]["reject_all"] == "Alle ablehnen"
    assert banner(lang="fr-CA")["texts"]["reject_all"] == "Tout refuser"
    url = f"/v1/banner/{prop.publishable_key}"
    browser = client.get(url, headers={"Accept-Language": "it, fr;q=0.8, en;q=0.5"}).json
    assert browser["language"] == "fr"
    assert client.get(url, headers={"Accept-Language": "ja"}).json["language"] == "en"


def test_operator_text_overrides_change_the_banner_version(client, auth, prop, banner):
    before = banner(lang="de")
    response = client.patch(
        f"/v1/properties/{prop.id}",
        json={"texts": {"de": {"ui": {"title": "Cookies bei Shop"}}}},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.json
    after = banner(lang="de")
    assert after["texts"]["title"] == "Cookies bei Shop"
    assert after["texts"]["accept_all"] == "Alle akzeptieren"
    assert after["banner_version"] != before["banner_version"]


def test_config_has_an_etag_and_answers_304(client, prop):
    url = f"/v1/banner/{prop.publishable_key}?lang=en"
    first = client.get(url, headers={"Origin": ORIGIN})
    assert first.headers["ETag"] and first.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "max-age=300" in first.headers["Cache-Control"]
    again = client.get(url, headers={"Origin": ORIGIN, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_other_origins_get_403_without_cors_headers_and_write_nothing(client, prop, banner):
    config = banner()
    url = f"/v1/banner/{prop.publishable_key}"
    evil = {"Origin": "https://evil.example"}
    got = client.get(url, headers=evil)
    assert got.status_code == 403 and got.json["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in got.headers
    posted = client.post(
        f"{url}/consents",
        json={"choices": ALL, "method": "banner_accept_all", "notice_version": "2026-01-01",
              "banner_version": config["banner_version"]},
        headers=evil,
    )
    assert posted.status_code == 403 and "Access-Control-Allow-Origin" not in posted.headers
    preflight = client.options(f"{url}/consents", headers=evil | {"Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert events() == []


def test_preflight_from_an_allowed_origin(client, prop):
    response = client.options(
        f"/v1/banner/{prop.publishable_key}/consents",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_unknown_property_is_404(client):
    assert client.get("/v1/banner/pk_nope").status_code == 404


def test_accept_all_is_recorded_with_method_notice_regime_language_and_truncated_ip(choose, banner):
    config = banner(lang="de", country="DE")
    response = choose(ALL, method="banner_accept_all", config=config, language="de")
    assert response.status_code == 201, response.json
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    body = response.json
    assert body["visitor_id"].startswith("v_")
    assert body["decisions"]["analytics"] == {"decision": "granted", "allowed": True}
    assert body["decisions"]["necessary"] == {"decision": "granted", "allowed": True}
    recorded = events()
    assert [(e.purpose, e.decision, e.method) for e in recorded] == [
        ("preferences", "granted", "banner_accept_all"),
        ("analytics", "granted", "banner_accept_all"),
        ("advertising", "granted", "banner_accept_all"),
    ]
    for event in recorded:
        assert (event.notice_version, event.regime, event.language) == ("2026-01-01", "opt_in", "de")
        assert event.banner_version == config["banner_version"]
        assert event.evidence == {"ip_network": "198.51.100.0/24", "user_agent_family": "Chrome 131"}
        assert "198.51.100.23" not in repr(event.__dict__)
        assert event.property_key == config["property"]["key"]


def test_token_lifetime_depends_on_the_choice(choose):
    accepted = claims(choose(ALL, method="banner_accept_all").json["token"])
    rejected = claims(choose(NONE, method="banner_reject_all").json["token"])
    assert accepted["exp"] - accepted["iat"] == 365 * 86400
    assert rejected["exp"] - rejected["iat"] == 180 * 86400
    assert accepted["prp"] == rejected["prp"]


def test_previous_token_keeps_the_visitor_and_a_forged_one_starts_a_new_visitor(choose):
    first = choose(NONE, method="banner_reject_all").json
    again = choose({"analytics": True}, token=first["token"]).json
    assert again["visitor_id"] == first["visitor_id"]
    assert claims(again["token"])["rev"] == 6

    header, payload, signature = first["token"].split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(first["visitor_id"].encode(), b"v_someone_else")
    ).decode()
    forged = choose(ALL, method="banner_accept_all", token=f"{header}.{forged_payload}.{signature}").json
    assert forged["visitor_id"] not in (first["visitor_id"], "v_someone_else")
    victim = subjects.find(session=db.session, kind="visitor", external_id=first["visitor_id"])
    assert victim.revision == 6  # the old visitor was not touched
    assert len([e for e in events() if e.subject_id == victim.id]) == 6


def test_a_token_from_another_property_starts_a_new_visitor(client, auth, choose):
    other = client.post(
        "/v1/properties",
        json={"name": "Other", "allowed_origins": ["https://other.example"], "notice_version": "1",
              "notice_url": "https://other.example/privacy"},
        headers=auth("admin"),
    ).json
    other_config = client.get(f"/v1/banner/{other['publishable_key']}").json
    foreign = client.post(
        f"/v1/banner/{other['publishable_key']}/consents",
        json={"choices": ALL, "method": "banner_accept_all", "notice_version": "1",
              "banner_version": other_config["banner_version"]},
    ).json
    mine = choose(ALL, method="banner_accept_all", token=foreign["token"]).json
    assert mine["visitor_id"] != foreign["visitor_id"]


def test_gpc_keeps_advertising_off_on_accept_all_but_not_on_an_explicit_choice(choose):
    accept_all = choose(ALL, method="banner_accept_all", gpc=True).json
    assert accept_all["decisions"]["advertising"]["allowed"] is False
    assert accept_all["decisions"]["analytics"]["allowed"] is True
    assert claims(accept_all["token"])["gpc"] is True
    header_only = choose(ALL, method="banner_accept_all", headers={"Sec-GPC": "1"}).json
    assert header_only["decisions"]["advertising"]["allowed"] is False
    explicit = choose({"advertising": True}, gpc=True, token=accept_all["token"]).json
    assert explicit["decisions"]["advertising"]["allowed"] is True
    assert all(e.evidence.get("gpc") == "1" for e in events() if e.method != "banner_accept_all" or e.revision <= 3)


def test_choices_must_match_the_banner_that_was_shown(choose, banner):
    unknown_version = choose(ALL, banner_version="sha256:" + "0" * 64)
    assert unknown_version.status_code == 422 and unknown_version.json["code"] == "unknown_banner_version"
    assert choose({"recording": True}).status_code == 422  # not a purpose this banner showed
    assert choose({"necessary": False}).status_code == 422  # not refusable
    assert choose(ALL, notice_version="1999").status_code == 422
    assert choose({"analytics": "yes"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
