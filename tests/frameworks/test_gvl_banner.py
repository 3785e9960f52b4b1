"""The banner config's frameworks block (only for properties enabling some, so in the banner version), and the
built framework files at /frameworks/<file>."""
from __future__ import annotations

import logging

import pytest

from consent_service.extensions import db
from consent_service.frameworks import gvl
from consent_service.frameworks import service as vendor_lists
from tests.frameworks.gvl_files import GVL_41, GVL_42, TRANSLATIONS, load, write

BODY = {"name": "News", "allowed_origins": ["https://news.example"], "notice_version": "1",
        "notice_url": "https://news.example/privacy", "default_language": "en"}


@pytest.fixture
def admin(auth):
    return auth("admin")


def _property(client, admin, **fields) -> dict:
    created = client.post("/v1/properties", json={**BODY, **fields}, headers=admin)
    assert created.status_code == 201, created.json
    return created.json


def test_a_property_without_frameworks_has_no_block(client, admin, framework_files):
    prop = _property(client, admin)
    assert "frameworks" not in client.get(f"/v1/banner/{prop['publishable_key']}").json


def test_the_block_carries_each_framework_and_the_trimmed_list(app, client, admin, app_with, stored_gvl,
                                                                 framework_files):
    prop = _property(client, admin, frameworks=["gpp", "tcf", "microsoft_uet", "clarity"], tcf_vendors=[12, 1, 4])
    config = client.get(f"/v1/banner/{prop['publishable_key']}?lang=en").json
    block = config["frameworks"]
    assert set(block) == {"gpp", "tcf", "microsoft_uet", "clarity"}
    assert (block["gpp"]["src"], block["gpp"]["integrity"]) == ("/frameworks/" + framework_files["gpp"]["file"],
                                                                framework_files["gpp"]["integrity"])
    # No CDN place here: the default regime's visitor, outside the US, gets no US section.
    assert (block["gpp"]["sections"], block["gpp"]["applicable"], block["gpp"]["tcfeuv2"]) == ([], [-1], True)
    assert (block["gpp"]["cmp_id"], block["gpp"]["cmp_version"]) == (0, 0)
    assert block["microsoft_uet"] == {} and block["clarity"] == {}
    tcf = block["tcf"]
    assert (tcf["src"], tcf["integrity"]) == ("/frameworks/" + framework_files["tcf"]["file"],
                                              framework_files["tcf"]["integrity"])
    assert (tcf["cmp_id"], tcf["cmp_version"], tcf["language"]) == (0, 0, "en")
    listed = load(GVL_42)
    assert tcf["gvl"] == gvl.trimmed(listed, vendor_ids=[1, 4, 12], translation=None)
    assert set(tcf["gvl"]["vendors"]) == {"1", "4", "12"} and tcf["gvl"]["vendorListVersion"] == 42
    registered = app_with(tcf_cmp_id=300, tcf_cmp_version=2)
    registered.config["FRAMEWORKS_DIRECTORY"] = app.config["FRAMEWORKS_DIRECTORY"]
    again = registered.test_client().get(f"/v1/banner/{prop['publishable_key']}?lang=en").json
    assert (again["frameworks"]["tcf"]["cmp_id"], again["frameworks"]["tcf"]["cmp_version"]) == (300, 2)
    assert again["banner_version"] != config["banner_version"]  # the block is part of what was shown


@pytest.mark.parametrize(("asked", "shown"), [("de", "de"), ("fr", "fr"), ("en", "en")])
def test_the_list_is_shown_in_the_banners_language_where_translated(client, admin, stored_gvl, framework_files,
                                                                    asked, shown):
    prop = _property(client, admin, frameworks=["tcf"], tcf_vendors=[2], texts={"de": {}, "fr": {}})
    config = client.get(f"/v1/banner/{prop['publishable_key']}?lang={asked}").json
    assert config["language"] == asked and config["frameworks"]["tcf"]["language"] == shown
    translation = load(TRANSLATIONS[shown])["purposes"] if shown != "en" else load(GVL_42)["purposes"]
    assert config["frameworks"]["tcf"]["gvl"]["purposes"]["3"]["name"] == translation["3"]["name"]


def test_a_language_without_a_translation_is_shown_in_english(client, admin, gvl_update, framework_files):
    assert gvl_update(GVL_41, de=TRANSLATIONS["de"]).exit_code == 0
    prop = _property(client, admin, frameworks=["tcf"], tcf_vendors=[1], default_language="fr")
    tcf = client.get(f"/v1/banner/{prop['publishable_key']}").json["frameworks"]["tcf"]
    assert tcf["language"] == "en" and tcf["gvl"]["purposes"] == load(GVL_41)["purposes"]


def test_a_newer_list_reaches_the_banner_at_once(client, admin, gvl_update, framework_files, tmp_path):
    assert gvl_update(GVL_41).exit_code == 0
    prop = _property(client, admin, frameworks=["tcf"], tcf_vendors=[1, 2])
    first = client.get(f"/v1/banner/{prop['publishable_key']}").json["frameworks"]["tcf"]["gvl"]
    assert first["vendorListVersion"] == 41 and set(first["vendors"]) == {"1", "2"}
    newer = load(GVL_42)
    newer["vendorListVersion"] = 43
    newer["vendors"]["2"]["deletedDate"] = "2026-12-01T00:00:00Z"
    assert gvl_update(write(tmp_path, "43.json", newer)).exit_code == 0
    second = client.get(f"/v1/banner/{prop['publishable_key']}").json["frameworks"]["tcf"]["gvl"]
    assert second["vendorListVersion"] == 43 and set(second["vendors"]) == {"1"}  # 2 was deleted


def test_a_framework_not_built_is_left_out_with_a_warning(client, admin, stored_gvl, app, tmp_path, caplog):
    app.config["FRAMEWORKS_DIRECTORY"] = tmp_path  # no manifest: nothing built
    prop = _property(client, admin, frameworks=["gpp", "tcf", "clarity"], tcf_vendors=[1])
    with caplog.at_level(logging.WARNING, logger="consent_service.frameworks.banner_config"):
        config = client.get(f"/v1/banner/{prop['publishable_key']}").json
    assert config["frameworks"] == {"clarity": {}}
    warned = [r.getMessage() for r in caplog.records if r.name == "consent_service.frameworks.banner_config"]
    assert len(warned) == 2 and all(prop["publishable_key"] in m and "npm run build" in m for m in warned)


def test_the_snapshot_keeps_only_the_vendors_properties_name(client, admin, stored_gvl):
    from consent_service.generations import service as generations

    assert generations.fresh(session=db.session).vendor_list is None  # no property enables TCF
    _property(client, admin, frameworks=["tcf"], tcf_vendors=[4])
    _property(client, admin, frameworks=["gpp"], tcf_vendors=[7])  # not enabled: not kept
    kept = generations.fresh(session=db.session).vendor_list
    assert kept.vendor_list_version == 42 and list(kept.content["vendors"]) == ["4"]
    assert kept.translations == vendor_lists.current_vendor_list(session=db.session).translations


def test_framework_files_are_served_immutable_to_any_origin(client, framework_files):
    name = framework_files["tcf"]["file"]
    served = client.get(f"/frameworks/{name}", headers={"Origin": "https://news.example"})
    assert served.status_code == 200
    assert served.data == b"window.ConsentService.attach('tcf', function () {});\n"
    assert served.mimetype == "application/javascript"
    assert served.headers["Access-Control-Allow-Origin"] == "*"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(f"/frameworks/{name}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["tcf.0000000000.js", "manifest.json", "..%2Fmanifest.json", "gpp.js", "x" * 80])
def test_anything_else_under_frameworks_is_a_json_404(client, framework_files, name):
    answer = client.get(f"/frameworks/{name}")
    assert answer.status_code == 404 and answer.json["code"] == "not_found"


def test_a_listed_file_missing_on_disk_is_a_404(client, framework_files, app):
    (app.config["FRAMEWORKS_DIRECTORY"] / framework_files["gpp"]["file"]).unlink()
    assert client.get(f"/frameworks/{framework_files['gpp']['file']}").status_code == 404
