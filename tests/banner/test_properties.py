"""Properties through the admin API and the CLI."""
from __future__ import annotations

import json

from consent_service.texts.banner import ui_keys, validate_overrides


def test_create_read_patch_a_property(client, auth):
    admin = auth("admin")
    created = client.post(
        "/v1/properties",
        json={"name": "Blog", "allowed_origins": ["https://Blog.example/"], "notice_version": "3",
              "notice_url": "https://blog.example/privacy", "purposes": ["analytics"], "default_language": "de"},
        headers=admin,
    )
    assert created.status_code == 201, created.json
    prop = created.json
    assert prop["publishable_key"].startswith("pk_")
    assert prop["allowed_origins"] == ["https://blog.example"]
    assert prop["purposes"] == ["necessary", "analytics"]
    assert prop["accept_lifetime_days"] == 365 and prop["reject_lifetime_days"] == 180
    patched = client.patch(f"/v1/properties/{prop['id']}", json={"reject_lifetime_days": 30}, headers=admin).json
    assert patched["reject_lifetime_days"] == 30 and patched["name"] == "Blog"
    assert client.get(f"/v1/properties/{prop['id']}", headers=admin).json == patched
    assert [p["id"] for p in client.get("/v1/properties", headers=admin).json["properties"]] == [prop["id"]]


def test_bad_property_input_is_named_and_changes_nothing(client, auth):
    admin = auth("admin")
    # An origin's shape and a text's name are the schema's (the document has the pattern and the names), so they are
    # refused before the service's rules, together.
    bad = client.post(
        "/v1/properties",
        json={"name": "X", "allowed_origins": ["https://ok.example", "javascript:alert(1)"], "notice_version": "1",
              "notice_url": "https://ok.example/p", "texts": {"de": {"ui": {"titel": "x"}}}},
        headers=admin,
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"allowed_origins.1", "texts.de.value.ui.titel.key"}
    bad_texts = client.post(
        "/v1/properties",
        json={"name": "X", "allowed_origins": ["https://ok.example"], "notice_version": "1",
              "notice_url": "https://ok.example/p", "texts": {"de": {"ui": {"titel": "x"}}}},
        headers=admin,
    )
    assert bad_texts.status_code == 422
    assert set(bad_texts.json["errors"]) == {"texts.de.value.ui.titel.key"}
    assert bad_texts.json["errors"]["texts.de.value.ui.titel.key"] == [f"Unknown text; known: {', '.join(ui_keys())}."]
    for language in ("DE", "deu", "éé"):
        refused = client.post(
            "/v1/properties",
            json={"name": "X", "allowed_origins": ["https://ok.example"], "notice_version": "1",
                  "notice_url": "https://ok.example/p", "texts": {language: {}}, "default_language": language},
            headers=admin,
        )
        assert set(refused.json["errors"]) == {f"texts.{language}.key", "default_language"}, refused.json
    unknown_purpose = client.post(
        "/v1/properties",
        json={"name": "X", "allowed_origins": ["https://ok.example"], "notice_version": "1",
              "notice_url": "https://ok.example/p", "purposes": ["mind_reading"]},
        headers=admin,
    )
    assert unknown_purpose.status_code == 422 and unknown_purpose.json["code"] == "unknown_purpose"
    assert client.get("/v1/properties", headers=admin).json["properties"] == []
    assert client.get("/v1/properties/prop_missing", headers=admin).status_code == 404


def test_the_texts_rule_the_console_shares_takes_the_schemas_language_codes():
    # isalpha() and islower() took "éé"; the rule is the schemas' LANGUAGE_CODE, [a-z]{2}.
    assert set(validate_overrides({"éé": {}, "DE": {}, "de": {}, "fr": {"ui": {"title": "Cookies"}}})) == {
        "texts.éé", "texts.DE"}


def test_cli_creates_a_property_and_prints_its_key(app, client):
    result = app.test_cli_runner().invoke(args=[
        "properties", "create", "--name", "Shop", "--origin", "https://shop.example",
        "--notice-version", "2026-01-01", "--notice-url", "https://shop.example/privacy", "--language", "fr",
    ])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("pk_")
    assert client.get(f"/v1/banner/{key}").json["language"] == "fr"
    bad = app.test_cli_runner().invoke(args=[
        "properties", "create", "--name", "Bad", "--origin", "ftp://x", "--notice-version", "1", "--notice-url", "https://x/p",
    ])
    assert bad.exit_code != 0 and "allowed_origins.0" in bad.output


def test_cli_lists_properties_under_a_header_or_as_json(app, clock):
    runner = app.test_cli_runner()
    for name, origins in (("Shop", ["https://shop.example", "https://www.shop.example"]), ("Blog", ["https://blog.example"])):
        created = runner.invoke(args=["properties", "create", "--name", name, *(f"--origin={o}" for o in origins),
                                      "--notice-version", "2026-01-01", "--notice-url", f"{origins[0]}/privacy"])
        assert created.exit_code == 0, created.output
        clock.advance(seconds=1)  # listed oldest first
    lines = runner.invoke(args=["properties", "list"]).stdout.splitlines()
    assert lines[0].split() == ["ID", "PUBLISHABLE_KEY", "NAME", "ALLOWED_ORIGINS", "NOTICE_VERSION"]
    origins_at = lines[0].index("ALLOWED_ORIGINS")  # every column starts where its header does
    assert [line[origins_at:].split()[0] for line in lines[1:]] == [
        "https://shop.example,https://www.shop.example", "https://blog.example"]
    listed = json.loads(runner.invoke(args=["properties", "list", "--json"]).stdout)
    assert [(prop["name"], prop["allowed_origins"]) for prop in listed] == [
        ("Shop", ["https://shop.example", "https://www.shop.example"]), ("Blog", ["https://blog.example"])]
    assert set(listed[0]) == {"id", "publishable_key", "name", "allowed_origins", "notice_version"}
    assert all(lines[1 + index].startswith(prop["id"]) for index, prop in enumerate(listed))


def test_a_banner_cannot_ask_for_recording_transfers_or_automated_decisions(client, auth):
    response = client.post(
        "/v1/properties",
        json={"name": "X", "allowed_origins": ["https://x.example"], "notice_version": "1",
              "notice_url": "https://x.example/p", "purposes": ["analytics", "cross_border_transfer", "recording"]},
        headers=auth("admin"),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"purposes.1", "purposes.2"}


def test_a_property_needs_between_one_and_fifty_origins(client, auth):
    """The API and the console share the rule (properties.service.allowed_origins)."""
    admin = auth("admin")
    body = {"name": "X", "notice_version": "1", "notice_url": "https://ok.example/p"}
    none = client.post("/v1/properties", json={**body, "allowed_origins": []}, headers=admin)
    assert none.status_code == 422
    assert none.json["errors"] == {"allowed_origins": ["Between 1 and 50 origins, such as https://shop.example."]}
    too_many = client.post("/v1/properties", json={**body, "allowed_origins": [f"https://{i}.example" for i in range(51)]},
                           headers=admin)
    assert too_many.status_code == 422 and set(too_many.json["errors"]) == {"allowed_origins"}
    assert client.get("/v1/properties", headers=admin).json["properties"] == []
    prop = client.post("/v1/properties", json={**body, "allowed_origins": ["https://ok.example"]}, headers=admin).json
    emptied = client.patch(f"/v1/properties/{prop['id']}", json={"allowed_origins": []}, headers=admin)
    assert emptied.status_code == 422 and set(emptied.json["errors"]) == {"allowed_origins"}
    assert client.get(f"/v1/properties/{prop['id']}", headers=admin).json["allowed_origins"] == ["https://ok.example"]
