"""The generated OpenAPI document describes every endpoint with its schemas."""
from __future__ import annotations

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from consent_service.patterns import LANGUAGE_CODE
from consent_service.texts.banner import ui_keys

CONTRACT = {
    ("post", "/v1/subjects/{kind}/{subject_id}/consent-events"),
    ("get", "/v1/subjects/{kind}/{subject_id}/consent-events"),
    ("get", "/v1/subjects/{kind}/{subject_id}/consents"),
    ("post", "/v1/checks"),
    ("post", "/v1/subjects/{kind}/{subject_id}/tokens"),
    ("get", "/v1/purposes"),
    ("post", "/v1/purposes"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/v1/banner/{property_key}"),
    ("post", "/v1/banner/{property_key}/consents"),
    ("get", "/v1/properties"),
    ("post", "/v1/properties"),
    ("get", "/v1/properties/{property_id}"),
    ("patch", "/v1/properties/{property_id}"),
    ("get", "/consent.js"),
    ("get", "/consent-frameworks.js"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/v1/preference-links"),
    ("get", "/preferences/{signed}"),
    ("post", "/preferences/{signed}"),
    ("post", "/unsubscribe/{signed}"),
    ("get", "/v1/properties/{property_id}/cookie-declarations"),
    ("put", "/v1/properties/{property_id}/cookie-declarations"),
    ("post", "/v1/properties/{property_id}/scans"),
    ("get", "/v1/properties/{property_id}/scans"),
    ("get", "/v1/properties/{property_id}/scans/{scan_id}"),
    ("get", "/v1/banner/{property_key}/declaration"),
}
PUBLIC = {"/.well-known/jwks.json", "/.well-known/gpc.json", "/healthz", "/readyz", "/metrics", "/consent.js", "/consent.{version}.js", "/consent.js/integrity", "/consent-frameworks.js", "/consent-frameworks.{version}.js", "/consent-frameworks.js/integrity", "/demo", "/demo/analytics.js", "/demo/embed", "/frameworks/{file_name}"}
PUBLISHABLE = "/v1/banner/"  # the publishable key in the path is the credential
# The signed token in the path is the credential; the privacy request form is public like the banner.
SIGNED_LINKS = ("/preferences/", "/unsubscribe/", "/confirm/", "/privacy-requests/")


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def test_spec_is_valid_openapi_and_covers_the_contract(client):
    spec = client.get("/openapi.json").json
    # 3.1, whose schemas are JSON Schema 2020-12: propertyNames states a map's keys, which 3.0 could not.
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert CONTRACT <= {(method, path) for method, path, _ in operations(spec)}


def test_every_operation_has_schemas_and_security(client):
    spec = client.get("/openapi.json").json
    for method, path, operation in operations(spec):
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, (method, path)
        content = operation["responses"][success[0]]["content"]
        assert all("schema" in media for media in content.values()), (method, path)
        if method == "post" and path != "/v1/subjects/{kind}/{subject_id}/tokens":
            assert "requestBody" in operation, (method, path)
        if path not in PUBLIC and not path.startswith((PUBLISHABLE, *SIGNED_LINKS)):
            assert operation.get("security"), (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_docs_page_is_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data
    assert b"https://" not in page.data.split(b"<body>")[0]
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_the_document_says_what_the_validation_refuses(client):
    """The constraints the contract fuzzer found missing are published from the same objects that validate."""
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    # A Dict keyed by a closed set names its keys and no others.
    defaults = schemas["Purpose"]["properties"]["defaults"]
    assert set(defaults["properties"]) == {"opt_in", "opt_out"} and defaults["additionalProperties"] is False
    assert schemas["EvidenceIn"]["properties"]["ip"]["anyOf"] == [{"format": "ipv4"}, {"format": "ipv6"}]
    for url in (schemas["Notice"]["properties"]["url"], schemas["Webhook"]["properties"]["url"]):
        assert url["pattern"].startswith("^(?:https?://")


def test_every_map_keyed_by_language_states_the_language_code(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    language = {"type": "string", "pattern": f"^(?:{LANGUAGE_CODE})$"}
    for name, field in (("Property", "texts"), ("PropertyPatch", "texts"), ("Declaration", "description"),
                        ("DeclarationPatch", "description")):
        assert schemas[name]["properties"][field]["propertyNames"] == language, (name, field)
    assert schemas["Property"]["properties"]["default_language"]["pattern"] == language["pattern"]
    # The texts a banner has are a closed set, named as such.
    ui = schemas["LanguageTexts"]["properties"]["ui"]
    assert list(ui["properties"]) == ui_keys() and ui["additionalProperties"] is False


def test_links_start_at_and_lead_to_operations_of_the_document(client):
    from consent_service.openapi_links import LINKS

    paths = client.get("/openapi.json").json["paths"]
    for (method, path, status), follows in LINKS.items():
        links = paths[path][method]["responses"][status]["links"]
        assert set(links) == {follow.name for follow in follows}
        for follow in follows:
            pointer = links[follow.name]["operationRef"].removeprefix("#/paths/").split("/")
            target_path = pointer[0].replace("~1", "/").replace("~0", "~")
            assert target_path == follow.path and pointer[1] in paths[target_path], follow
            declared = {p["name"] for p in paths[target_path].get("parameters", [])}
            declared |= {p["name"] for p in paths[target_path][pointer[1]].get("parameters", []) if p["in"] == "path"}
            assert set(follow.parameters) <= declared, follow


def test_rules_beyond_the_schema_are_published_on_their_operations(client):
    from consent_service.openapi_rules import EXTENSION, RULES

    paths = client.get("/openapi.json").json["paths"]
    for (method, path), rules in RULES.items():
        operation = paths[path][method]
        assert operation[EXTENSION] == rules
        for field, why in rules.items():
            assert f"- `{field}`: {why}" in operation["description"], (method, path, field)
    published = {(m, p) for p, operations in paths.items() for m, o in operations.items() if EXTENSION in o}
    assert published == set(RULES)
