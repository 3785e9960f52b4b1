"""A property's frameworks and TCF vendors through the admin API: stored in a canonical form, every id checked
against the current Global Vendor List, refused by field with nothing changed."""
from __future__ import annotations

import pytest

from tests.frameworks.gvl_files import GVL_42

BODY = {"name": "News", "allowed_origins": ["https://news.example"], "notice_version": "1",
        "notice_url": "https://news.example/privacy"}


@pytest.fixture
def admin(auth):
    return auth("admin")


def test_frameworks_and_vendors_are_created_read_and_patched(client, admin, stored_gvl):
    created = client.post("/v1/properties", json={**BODY, "frameworks": ["clarity", "tcf", "gpp"],
                                                  "tcf_vendors": [12, 1, 4, 1]}, headers=admin)
    assert created.status_code == 201, created.json
    prop = created.json
    assert prop["frameworks"] == ["gpp", "tcf", "clarity"]  # the banner config's order
    assert prop["tcf_vendors"] == [1, 4, 12]
    assert client.get(f"/v1/properties/{prop['id']}", headers=admin).json == prop
    patched = client.patch(f"/v1/properties/{prop['id']}", json={"frameworks": ["microsoft_uet"]}, headers=admin)
    assert patched.status_code == 200
    assert patched.json["frameworks"] == ["microsoft_uet"] and patched.json["tcf_vendors"] == [1, 4, 12]
    cleared = client.patch(f"/v1/properties/{prop['id']}", json={"frameworks": [], "tcf_vendors": []}, headers=admin)
    assert (cleared.json["frameworks"], cleared.json["tcf_vendors"]) == ([], [])


def test_a_property_enables_nothing_by_default(client, admin):
    created = client.post("/v1/properties", json=BODY, headers=admin).json
    assert (created["frameworks"], created["tcf_vendors"]) == ([], [])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"frameworks": ["gpp", "gpp"]}, "frameworks", "Name each framework once."),
        ({"frameworks": ["amp"]}, "frameworks.0", "Must be one of"),
        ({"frameworks": "gpp"}, "frameworks", "Not a valid list."),
        ({"tcf_vendors": [1, 9]}, "tcf_vendors", "Not vendors of Global Vendor List 42 (or deleted from it): 9."),
        ({"tcf_vendors": [65000, 1, 3]}, "tcf_vendors", "(or deleted from it): 3, 65000."),
        ({"tcf_vendors": ["1"]}, "tcf_vendors.0", "Not a valid integer."),
        ({"tcf_vendors": [0]}, "tcf_vendors.0", "greater than or equal to 1"),
        ({"tcf_vendors": list(range(1, 5002))}, "tcf_vendors", "Longer than maximum length 5000."),
    ],
)
def test_bad_frameworks_or_vendors_are_named_and_change_nothing(client, admin, stored_gvl, changes, field, message):
    prop = client.post("/v1/properties", json={**BODY, "frameworks": ["gpp"], "tcf_vendors": [2]}, headers=admin).json
    refused = client.patch(f"/v1/properties/{prop['id']}", json={**changes, "name": "Renamed"}, headers=admin)
    assert refused.status_code == 422 and refused.json["code"] == "validation_error"
    assert any(message in text for text in refused.json["errors"][field]), refused.json
    assert client.get(f"/v1/properties/{prop['id']}", headers=admin).json == prop
    created = client.post("/v1/properties", json={**BODY, **changes}, headers=admin)
    assert created.status_code == 422
    assert len(client.get("/v1/properties", headers=admin).json["properties"]) == 1


def test_tcf_and_its_vendors_wait_for_a_vendor_list(client, admin, gvl_update):
    for changes in ({"frameworks": ["tcf"]}, {"tcf_vendors": [1]}):
        refused = client.post("/v1/properties", json={**BODY, **changes}, headers=admin)
        assert refused.status_code == 422
        (field, messages), = refused.json["errors"].items()
        assert field == next(iter(changes)) and "flask tcf gvl update" in messages[0]
    assert client.get("/v1/properties", headers=admin).json["properties"] == []
    assert client.post("/v1/properties", json={**BODY, "frameworks": ["gpp", "clarity"]}, headers=admin).status_code == 201
    assert gvl_update(GVL_42).exit_code == 0
    assert client.post("/v1/properties", json={**BODY, "frameworks": ["tcf"], "tcf_vendors": [1]},
                       headers=admin).status_code == 201


def test_the_openapi_document_describes_the_fields(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    # OpenAPI 3.1: a $ref may stand beside its description, with no allOf around it.
    assert schemas["BannerConfig"]["properties"]["frameworks"]["$ref"] == "#/components/schemas/FrameworksConfig"
    assert {"src", "integrity", "cmp_id", "cmp_version", "language", "gvl"} <= set(schemas["TCFConfig"]["required"])
    schema = schemas["Property"]["properties"]
    assert schema["frameworks"]["items"]["enum"] == ["gpp", "tcf", "microsoft_uet", "clarity"]
    assert schema["frameworks"]["uniqueItems"] is True
    assert schema["tcf_vendors"]["items"]["type"] == "integer" and schema["tcf_vendors"]["maxItems"] == 5000
