"""The banner script at a versioned, immutable URL, with its sha384 Subresource Integrity value published."""
from __future__ import annotations

import base64
import hashlib

from consent_service.banner.site import SCRIPT


def test_the_integrity_endpoint_names_a_url_whose_content_matches_the_hash(client):
    published = client.get("/consent.js/integrity").json
    path = "/" + published["url"].split("/", 3)[3]
    with client.get(path) as script:
        assert script.status_code == 200
        assert script.mimetype == "application/javascript"
        assert "immutable" in script.headers["Cache-Control"]
        digest = base64.b64encode(hashlib.sha384(script.data).digest()).decode()
    assert published["integrity"] == f"sha384-{digest}"
    with client.get("/consent.js") as unversioned:
        assert unversioned.data == SCRIPT.read_bytes() == script.data


def test_an_old_or_made_up_version_is_not_served(client):
    assert client.get("/consent.0000000000000000.js").status_code == 404
