"""Responses compressed on the fly: large JSON, HTML, CSS and JavaScript when the client accepts brotli or gzip;
never a small answer such as a check, nor the HTML pages that carry a secret beside request text."""
from __future__ import annotations

import gzip
import json

import brotli

from consent_service.banner.site import DEMO_PROPERTY_NAME
from consent_service.compression import MIN_SIZE_BYTES
from consent_service.properties import service as properties


def test_large_json_is_compressed_as_the_client_accepts(client):
    plain = client.get("/openapi.json")
    assert "Content-Encoding" not in plain.headers and len(plain.data) > MIN_SIZE_BYTES
    as_brotli = client.get("/openapi.json", headers={"Accept-Encoding": "br"})
    assert as_brotli.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(as_brotli.data)) == plain.json
    as_gzip = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(as_gzip.data)) == plain.json
    assert len(as_brotli.data) < len(plain.data) / 4
    assert as_brotli.headers["Vary"] == "Accept-Encoding"


def test_a_check_answer_is_too_small_to_compress(client, auth):
    answer = client.post("/v1/checks", headers={**auth("consents:read"), "Accept-Encoding": "br, gzip"},
                         json={"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["recording"], "country": "DE"})
    assert answer.status_code == 200
    assert len(answer.data) < MIN_SIZE_BYTES
    assert "Content-Encoding" not in answer.headers
    assert "Accept-Encoding" in answer.headers["Vary"]


def test_a_large_batch_of_checks_is_compressed(client, auth):
    checks = [{"subject": {"kind": "customer", "id": f"c-{n}"}, "purposes": ["recording"], "country": "DE"}
              for n in range(20)]
    answer = client.post("/v1/checks", headers={**auth("consents:read"), "Accept-Encoding": "gzip"}, json={"checks": checks})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(answer.data))["results"]) == 20


def test_html_and_css_are_compressed(client, session, clock):
    properties.create_property(session=session, name=DEMO_PROPERTY_NAME, allowed_origins=["https://shop.example"],
                               notice_version="2026-01-01", notice_url="https://shop.example/privacy", now=clock())
    session.commit()
    plain = client.get("/demo")
    assert plain.mimetype == "text/html" and len(plain.data) > MIN_SIZE_BYTES
    page = client.get("/demo", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.data) == plain.data
    with client.get("/static/console.css") as plain_css, \
            client.get("/static/console.css", headers={"Accept-Encoding": "br"}) as css:
        assert css.headers["Content-Encoding"] == "br"
        assert brotli.decompress(css.data) == plain_css.data


def test_an_encoding_refused_with_q_0_is_not_used(client):
    for refused in ("br;q=0, gzip;q=0", "gzip;q=0", "*;q=0"):
        answer = client.get("/openapi.json", headers={"Accept-Encoding": refused})
        assert "Content-Encoding" not in answer.headers, refused
        assert answer.headers["Vary"] == "Accept-Encoding"
        assert answer.json["openapi"]
