"""An erased subject's page shows its erasure (receipt, who, what) and suppression; the Notices and Properties pages
show the same notice in effect for a property, before and after a publication."""
from __future__ import annotations

import re

from consent_service.extensions import db
from consent_service.flows import erase_subject as erasing
from consent_service.runtime import runtime
from consent_service.vocabulary import Method
from tests.console.conftest import record
from tests.hardening.conftest import make_property

ERASURE = re.compile(r'data-field="(\w+)">(?:<code data-field="\w+">)?([^<]*)<')


def _shown(html: str) -> dict[str, str]:
    section = html[html.index('id="erasure"'):html.index('id="state-heading"')]
    return {**dict(ERASURE.findall(section)), **dict(re.findall(r'<code data-field="(\w+)">([^<]*)</code>', section))}


def test_an_erased_subject_shows_its_receipt_and_suppression(console, clock, prop):
    record(at=clock(), subject="v-42", choices={"analytics": True, "advertising": False}, method=Method.BANNER_CUSTOM,
           property_key=prop.publishable_key)
    before = console.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-42"}).get_data(as_text=True)
    assert 'id="erasure"' not in before
    clock.advance(minutes=3)
    erased = console.post("/admin/subjects/erase", data={"csrf_token": console.csrf, "kind": "visitor", "id": "v-42",
                                                         "confirm": "v-42"})
    receipt = re.search(r'<code id="erasure-receipt">([^<]+)</code>', erased.get_data(as_text=True)).group(1)
    clock.advance(minutes=10)  # within the console session
    page = console.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-42"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = _shown(html)
    assert shown["receipt"] == receipt
    assert shown["erased_at"] == "2026-01-15 09:33:00 UTC"
    assert shown["erased_by"].startswith("ops (sk_")
    assert shown["pseudonym"].strip() and "v-42" not in shown["pseudonym"]
    assert "out of advertising (refused before the erasure)" in shown["suppression"]
    assert 'data-field="events_kept_as_proof">2<' in html and 'data-field="subjects_pseudonymized">1<' in html
    assert "nothing recorded since the erasure" in html and "Nothing recorded." not in html
    assert "Export (JSON)" not in html  # nothing is held under the identifier to export or erase


def test_an_erasure_through_the_api_names_no_operator(console, clock, prop):
    record(at=clock(), subject="c-api", choices={"analytics": True}, method=Method.BANNER_CUSTOM, property_key=None)
    erasing.erase_subject(session=db.session, kind="visitor", external_id="c-api",
                          pepper=runtime().settings.erasure_pepper, now=clock())
    shown = _shown(console.get("/admin/subjects", query_string={"kind": "visitor", "id": "c-api"}).get_data(as_text=True))
    assert shown["erased_by"].startswith("Not named: erased through the API or a privacy request")
    assert shown["suppression"].startswith("Kept out of communications, if")  # it had refused nothing


def test_a_subject_never_seen_is_not_shown_as_erased(console):
    html = console.get("/admin/subjects", query_string={"kind": "visitor", "id": "v-never"}).get_data(as_text=True)
    assert 'id="erasure"' not in html and "nothing recorded: these are the defaults" in html


def _notice_on_properties_page(console, prop) -> str:
    html = console.get("/admin/properties").get_data(as_text=True)
    row = html[html.index(f"/admin/properties/{prop.id}\""):]
    return re.search(r'data-field="notice">([^<]+)<', row).group(1)


def _notice_on_notices_page(console, prop) -> tuple[str, str]:
    html = console.get("/admin/notices").get_data(as_text=True)
    row = re.search(rf'<tr data-property="{prop.id}">(.*?)</tr>', html, re.S).group(1)
    version = re.search(r'data-field="notice">([^<]+)<', row).group(1)
    published = re.findall(r"<td>([^<]*)</td>", row)[-1]
    return version, published


def _notice_on_property_page(console, prop) -> str:
    html = console.get(f"/admin/properties/{prop.id}").get_data(as_text=True)
    return re.search(r'data-field="notice">([^<]+)<', html).group(1)


def test_notices_and_properties_say_the_same_notice_is_in_effect(console, clock):
    shop, blog = make_property(clock, name="Shop"), make_property(clock, name="Blog")
    # Made with notice 2026-01-01 and never published since: both pages say so, neither says "none".
    for prop in (shop, blog):
        assert _notice_on_properties_page(console, prop) == _notice_on_property_page(console, prop) == "2026-01-01"
        assert _notice_on_notices_page(console, prop) == ("2026-01-01", "Set when the property was made; not published here since")
    notices_html = console.get("/admin/notices").get_data(as_text=True)
    assert "No notice published yet" not in notices_html
    # A material cookie notice of the shop: both pages now say 2026-02-01, published at that time; the blog keeps its.
    clock.advance(minutes=1)
    published = console.post("/admin/notices", data={
        "csrf_token": console.csrf, "property": shop.publishable_key, "kind": "cookie", "version": "2026-02-01",
        "material": "on", "purposes": ["analytics"], "url": "https://shop.example/privacy-v2"})
    assert published.status_code == 200
    assert _notice_on_properties_page(console, shop) == _notice_on_property_page(console, shop) == "2026-02-01"
    assert _notice_on_notices_page(console, shop) == ("2026-02-01", "2026-01-15 09:31:00 UTC")
    assert _notice_on_properties_page(console, blog) == _notice_on_notices_page(console, blog)[0] == "2026-01-01"
    # A minor one changes the link, not the version consents are recorded under: both pages agree again.
    console.post("/admin/notices", data={
        "csrf_token": console.csrf, "property": shop.publishable_key, "kind": "cookie", "version": "2026-02-02",
        "purposes": [], "url": "https://shop.example/privacy-v2-typo-fixed"})
    assert _notice_on_properties_page(console, shop) == _notice_on_notices_page(console, shop)[0] == "2026-02-01"
    assert "https://shop.example/privacy-v2-typo-fixed" in console.get("/admin/notices").get_data(as_text=True)

