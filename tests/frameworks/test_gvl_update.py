"""`flask tcf gvl update`: a newer, valid list is stored with its translations, from a file or over HTTP; a
malformed, older or unreadable one is refused on stderr with a non-zero exit, and the current one kept."""
from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.frameworks import service as vendor_lists
from consent_service.frameworks.models import TCFVendorList
from tests.frameworks.gvl_files import DATA, GVL_41, GVL_42, TRANSLATIONS, load, write


def _stored() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(select(TCFVendorList).order_by(TCFVendorList.vendor_list_version))
    return [(r.vendor_list_version, r.tcf_policy_version, r.last_updated, r.content, r.translations, r.stored_at)
            for r in rows]


def test_a_list_and_its_translations_are_stored(gvl_update, clock):
    result = gvl_update(GVL_41)
    assert result.exit_code == 0, result.output
    assert "stored Global Vendor List 41 (TCF policy 5, 4 vendors; en)" in result.stdout
    result = gvl_update(GVL_42, de=TRANSLATIONS["de"], fr=TRANSLATIONS["fr"])
    assert result.exit_code == 0, result.output
    assert "stored Global Vendor List 42 (TCF policy 5, 5 vendors; en, de, fr)" in result.stdout
    row = vendor_lists.current_vendor_list(session=db.session)
    assert (row.vendor_list_version, row.gvl_specification_version, row.stored_at) == (42, 3, clock())
    assert row.content == load(GVL_42)
    assert row.translations["de"]["purposes"]["9"]["name"] == "Analyse von Zielgruppen durch Statistiken"
    assert set(row.translations) == {"de", "fr"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: GVL_41, "Vendor list 41 is not newer than the current one, 42; the current one is kept."),
        (lambda tmp: GVL_42, "Vendor list 42 is not newer than the current one, 42"),
        (lambda tmp: write(tmp, "v2.json", {**load(GVL_42), "vendorListVersion": 43, "tcfPolicyVersion": 4}),
         "tcfPolicyVersion: an integer of at least 5 (TCF v2.3)"),
        (lambda tmp: write(tmp, "spec2.json", {**load(GVL_42), "vendorListVersion": 43, "gvlSpecificationVersion": 2}),
         "gvlSpecificationVersion: must be 3 (GVL v3)"),
        (lambda tmp: write(tmp, "no-vendors.json", {k: v for k, v in load(GVL_42).items() if k != "vendors"}),
         "vendors: an object of vendors by id"),
        (lambda tmp: _text(tmp, "truncated.json", GVL_42.read_text()[:500]), "truncated.json is not JSON"),
        (lambda tmp: tmp / "missing.json", "cannot read"),
        (lambda tmp: DATA, "cannot read"),
    ],
)
def test_a_malformed_older_or_unreadable_list_is_refused_and_the_current_one_kept(
    gvl_update, stored_gvl, tmp_path, clock, make, message
):
    before = _stored()
    clock.advance(days=1)
    result = gvl_update(make(tmp_path))
    assert result.exit_code != 0
    assert message in result.stderr and result.stdout == ""
    assert _stored() == before


def test_a_translation_that_does_not_fit_refuses_the_list_too(app, gvl_update, stored_gvl, tmp_path):
    before = _stored()
    newer = write(tmp_path, "43.json", {**load(GVL_42), "vendorListVersion": 43})
    french = load(TRANSLATIONS["fr"])
    del french["purposes"]["4"]
    result = gvl_update(newer, de=TRANSLATIONS["de"], fr=write(tmp_path, "fr.json", french))
    assert result.exit_code != 0 and "The fr translation does not fit this vendor list." in result.stderr
    assert "purposes: no text for ids 4 of the vendor list" in result.stderr
    for wrong in ("it=" + str(TRANSLATIONS["de"]), "de", "en=" + str(TRANSLATIONS["de"])):
        result = _invoke_raw(app, newer, wrong)
        assert result.exit_code == 2 and "--translation" in result.stderr
    assert _stored() == before


def _invoke_raw(app, source: Path, translation: str):
    """A raw --translation option (the fixture builds well-formed ones)."""
    return app.test_cli_runner().invoke(
        args=["tcf", "gvl", "update", "--from", str(source), "--translation", translation])


def _text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves tests/frameworks/data on loopback, as the IAB serves vendor-list.json."""

    def do_GET(self):
        path = DATA / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_list_is_fetched_over_http(gvl_update, served):
    result = gvl_update(f"{served}/gvl-v3-42.json", de=f"{served}/purposes-de.json")
    assert result.exit_code == 0, result.output
    row = vendor_lists.current_vendor_list(session=db.session)
    assert row.vendor_list_version == 42 and set(row.translations) == {"de"}


def test_an_http_error_is_refused_by_name(gvl_update, stored_gvl, served):
    before = _stored()
    result = gvl_update(f"{served}/vendor-list.json")
    assert result.exit_code != 0 and f"cannot fetch {served}/vendor-list.json: Not Found" in result.stderr
    assert _stored() == before
