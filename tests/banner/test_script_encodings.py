"""/consent.js and /consent-frameworks.js as built: brotli or gzip copies made at build time, chosen by
Accept-Encoding, each with its own ETag, all marked `Vary: Accept-Encoding`; the plain script to clients that
accept neither."""
from __future__ import annotations

import gzip

import brotli
import pytest

from consent_service.banner.site import FRAMEWORKS_SCRIPT, SCRIPT

KIB = 1024
SCRIPTS = pytest.mark.parametrize(("path", "script"), [("/consent.js", SCRIPT),
                                                       ("/consent-frameworks.js", FRAMEWORKS_SCRIPT)])


def _get(client, path="/consent.js", **headers):
    return client.get(path, headers=headers)


def test_brotli_is_at_most_six_and_a_half_kib(client):
    """Issue 22's budget, for consent.js: every property without frameworks pays it. consent-frameworks.js
    (some 7 KiB of brotli) is held only to the gzip budget below."""
    assert len(_get(client, **{"Accept-Encoding": "br"}).data) <= 6.5 * KIB


@SCRIPTS
def test_brotli_to_clients_that_accept_it(client, path, script):
    answer = _get(client, path, **{"Accept-Encoding": "gzip, deflate, br"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.mimetype == "application/javascript"
    assert brotli.decompress(answer.data) == script.read_bytes()
    assert len(answer.data) < len(gzip.compress(script.read_bytes(), compresslevel=9))
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert answer.headers["Cache-Control"] == "public, max-age=86400"


@SCRIPTS
def test_gzip_to_clients_that_accept_only_it_at_most_8_kib(client, path, script):
    """8 KiB of gzip for both: a page with frameworks loads their files besides, but the banner needs no more."""
    for accepted in ("gzip", "br;q=0, gzip", "gzip;q=1.0, br;q=0.5"):
        answer = _get(client, path, **{"Accept-Encoding": accepted})
        assert answer.headers["Content-Encoding"] == "gzip", accepted
        assert gzip.decompress(answer.data) == script.read_bytes()
        assert len(answer.data) <= 8 * KIB
        assert answer.headers["Vary"] == "Accept-Encoding"


@SCRIPTS
def test_the_plain_script_when_no_encoding_is_accepted(client, path, script):
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "br;q=0, gzip;q=0"},
                    {"Accept-Encoding": "deflate"}):
        answer = _get(client, path, **headers)
        assert "Content-Encoding" not in answer.headers, headers
        assert answer.data == script.read_bytes()
        assert answer.headers["Vary"] == "Accept-Encoding"


@SCRIPTS
def test_each_encoding_has_its_own_etag_and_revalidates_alone(client, path, script):
    etags = {accepted: _get(client, path, **{"Accept-Encoding": accepted}).headers["ETag"]
             for accepted in ("br", "gzip", "identity")}
    assert len(set(etags.values())) == 3
    again = _get(client, path, **{"Accept-Encoding": "br", "If-None-Match": etags["br"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Vary"] == "Accept-Encoding"
    # A cached brotli copy does not stand for the gzip one.
    other = _get(client, path, **{"Accept-Encoding": "gzip", "If-None-Match": etags["br"]})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


def test_the_two_scripts_differ_and_only_the_variant_has_the_stubs(client):
    small, full = SCRIPT.read_bytes(), FRAMEWORKS_SCRIPT.read_bytes()
    assert b"__tcfapi" in full and b"__tcfapi" not in small
    assert b"consent-frameworks.js" in small  # the warning that names it


@SCRIPTS
def test_the_versioned_url_is_precompressed_and_immutable(client, path, script):
    url = client.get(path + "/integrity").json["url"]
    assert url.split("/")[-1].startswith(script.stem + ".")
    answer = _get(client, "/" + url.split("/", 3)[3], **{"Accept-Encoding": "br"})
    assert answer.headers["Content-Encoding"] == "br"
    assert brotli.decompress(answer.data) == script.read_bytes()
    assert "immutable" in answer.headers["Cache-Control"] and "max-age=31536000" in answer.headers["Cache-Control"]
    assert answer.headers["Vary"] == "Accept-Encoding"
