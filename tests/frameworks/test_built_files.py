"""The committed framework files as the service sends them: each matches its manifest's integrity hash, and the
build's brotli and gzip copies are sent to clients that accept them (a 145 KB GPP file travels as some 15 KB)."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import brotli
import pytest

import consent_service

BUILT = Path(consent_service.__file__).parent / "static" / "frameworks"
MANIFEST = json.loads((BUILT / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_file_matches_its_integrity_hash(name):
    entry = MANIFEST[name]
    code = (BUILT / entry["file"]).read_bytes()
    assert entry["integrity"] == "sha384-" + base64.b64encode(hashlib.sha384(code).digest()).decode()
    assert entry["bytes"] == len(code)


@pytest.mark.parametrize(("accepts", "encoding", "decompress"), [
    ("br, gzip", "br", brotli.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("identity", None, lambda body: body),
])
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_file_is_sent_compressed_as_the_client_accepts(client, name, accepts, encoding, decompress):
    file = MANIFEST[name]["file"]
    answer = client.get(f"/frameworks/{file}", headers={"Accept-Encoding": accepts})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Encoding") == encoding
    assert decompress(answer.data) == (BUILT / file).read_bytes()
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    if encoding:
        assert len(answer.data) < MANIFEST[name]["bytes"] / 3
