"""The banner script at a versioned, immutable URL, with its sha384 Subresource Integrity value published."""
from __future__ import annotations

import base64
import hashlib

import pytest

from consent_service.banner.site import FRAMEWORKS_SCRIPT, SCRIPT


@pytest.mark.parametrize(("name", "built"), [("consent.js", SCRIPT), ("consent-frameworks.js", FRAMEWORKS_SCRIPT)])
def test_the_integrity_endpoint_names_a_url_whose_content_matches_the_hash(client, name, built):
    published = client.get(f"/{name}/integrity").json
    path = "/" + published["url"].split("/", 3)[3]
    with client.get(path) as script:
        assert script.status_code == 200
        assert script.mimetype == "application/javascript"
        assert "immutable" in script.headers["Cache-Control"]
        digest = base64.b64encode(hashlib.sha384(script.data).digest()).decode()
    assert published["integrity"] == f"sha384-{digest}"
    with client.get(f"/{name}") as unversioned:
        assert unversioned.data == built.read_bytes() == script.data


def test_an_old_or_made_up_version_is_not_served(client):
    assert client.get("/consent.0000000000000000.js").status_code == 404
    assert client.get("/consent-frameworks.0000000000000000.js").status_code == 404
