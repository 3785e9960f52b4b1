"""The scanner's browser driver in a real Chromium against the test site, its tracker and a real banner."""
from __future__ import annotations

import time

import pytest

from consent_service.errors import ValidationFailed
from consent_service.scanner.browser import ScanOptions, scan_site
from consent_service.scanner.observations import Observation, State
from tests.scanner.site import EVERY_DEFECT

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = ScanOptions(page_seconds=10.0, total_seconds=120.0, delay_seconds=0.05)
NO_BANNER = ScanOptions(page_seconds=2.0, total_seconds=120.0, delay_seconds=0.05)  # no banner: do not wait long


def cookies(observation: Observation, state: State) -> dict:
    return {cookie.name: cookie for cookie in observation.cookies if cookie.state == state}


def requests_to(observation: Observation, url: str, state: State) -> list:
    return [request for request in observation.requests if request.url == url and request.state == state]


def test_a_defective_site_shows_its_defects_in_the_right_states(scan_site_server, chromium):
    site = scan_site_server
    site.defects = EVERY_DEFECT
    calls = []
    observation = scan_site([site.url], options=QUICK, progress=lambda done, total: calls.append((done, total)))

    assert observation.stopped_early is None
    assert [(visit.url, visit.state, visit.status) for visit in observation.pages] == [
        (url, state, 200) for state in State for url in site.pages
    ]
    assert observation.banner_found == {State.NO_CHOICE: True, State.REJECTED: True, State.ACCEPTED: True}
    assert calls[-1] == (9, 9) and [done for done, _ in calls] == list(range(1, 10))
    for state in State:
        assert observation.screenshots[state].startswith(PNG)
    # The banner up before the choice, gone after it.
    assert observation.screenshots[State.NO_CHOICE] != observation.screenshots[State.REJECTED]

    legacy = f"{site.origin}/legacy-analytics.js"
    for state in State:  # (a) the plain tag sets _ga in every state, before any choice and despite the refusal
        ga = cookies(observation, state)["_ga"]
        assert (ga.set_by, ga.page, ga.party, ga.domain) == (legacy, site.url, "first", "127.0.0.2")
        assert ga.expires is not None and ga.same_site == "Lax"
    # (b) the pixel after "reject all", sent by the page's own inline script
    pixel = f"{site.tracker_origin}/pixel.gif"
    pixels = requests_to(observation, pixel, State.REJECTED)
    assert pixels and {request.initiator for request in pixels} <= set(site.pages)
    assert {(request.site, request.resource_type) for request in pixels} == {("127.0.0.3", "image")}
    assert requests_to(observation, pixel, State.ACCEPTED) == []
    # (c) site_lang only after "accept all", written by the site's script the banner released
    assert "site_lang" not in cookies(observation, State.NO_CHOICE)
    assert "site_lang" not in cookies(observation, State.REJECTED)
    assert cookies(observation, State.ACCEPTED)["site_lang"].set_by == f"{site.origin}/preferences.js"
    # The banner's own choice cookie is there after each choice, and the banner's files come from the service.
    assert {request.site for request in observation.requests} == {"127.0.0.1", "127.0.0.3"}
    assert all("?" not in request.url for request in observation.requests)


def test_a_compliant_site_sets_analytics_only_after_accept(scan_site_server, chromium):
    site = scan_site_server
    site.session_cookie = True
    observation = scan_site([site.url], options=QUICK)

    assert observation.banner_found == {State.NO_CHOICE: True, State.REJECTED: True, State.ACCEPTED: True}
    assert "_ga" not in cookies(observation, State.NO_CHOICE)
    assert "_ga" not in cookies(observation, State.REJECTED)
    assert cookies(observation, State.ACCEPTED)["_ga"].set_by == f"{site.tracker_origin}/analytics.js"
    analytics = f"{site.tracker_origin}/analytics.js"
    assert requests_to(observation, analytics, State.NO_CHOICE) == requests_to(observation, analytics, State.REJECTED) == []
    assert requests_to(observation, analytics, State.ACCEPTED)
    assert not [request for request in observation.requests if request.url.endswith("/pixel.gif")]
    # The banner keeps its keys in localStorage: a storage key with the script that wrote it.
    keys = [item for item in observation.storage if item.state == State.NO_CHOICE and item.origin == site.origin]
    assert keys and {item.set_by for item in keys} == {f"{site.service_url}/consent.js"}
    for state in State:  # a cookie from a Set-Cookie header: the response that set it
        sid = cookies(observation, state)["sid"]
        assert (sid.set_by, sid.http_only, sid.expires, sid.party) == (site.url, True, None, "first")


def test_the_scan_stays_on_the_given_origins(bare_site, chromium):
    observation = scan_site([bare_site.url + "#top", bare_site.away_url], options=NO_BANNER)

    no_choice = [visit for visit in observation.pages if visit.state == State.NO_CHOICE]
    # The fragment link is the contact page once; the tracker's page and mailto: are not followed.
    assert [visit.url for visit in no_choice] == [bare_site.url, bare_site.away_url, *bare_site.pages[1:]]
    away = no_choice[1]
    assert away.status is None and away.error == f"outside the scope: {bare_site.tracker_origin}"
    assert not [hit for hit in bare_site.hits if hit.endswith(" /about") and hit.startswith("127.0.0.3")]
    assert observation.banner_found == {State.NO_CHOICE: False, State.REJECTED: False, State.ACCEPTED: False}


def test_extra_origins_are_followed(bare_site, chromium):
    options = ScanOptions(page_seconds=2.0, delay_seconds=0.05, extra_origins=(bare_site.tracker_origin,))
    observation = scan_site([bare_site.url], options=options)

    assert f"{bare_site.tracker_origin}/about" in [visit.url for visit in observation.pages if visit.state == State.NO_CHOICE]


def test_the_page_limit_holds_in_every_state(bare_site, chromium):
    calls = []
    options = ScanOptions(max_pages=2, page_seconds=2.0, delay_seconds=0.05)
    observation = scan_site([bare_site.url], options=options, progress=lambda done, total: calls.append((done, total)))

    assert observation.stopped_early == "page limit"
    for state in State:
        assert [visit.url for visit in observation.pages if visit.state == state] == bare_site.pages[:2]
    assert calls[-1] == (6, 6)


def test_the_total_time_stops_the_scan_and_keeps_what_was_seen(bare_site, chromium):
    bare_site.defects = EVERY_DEFECT  # the plain analytics tag: something to keep
    # Room for Chromium's start and the first page on a busy machine; the slow page takes the rest.
    options = ScanOptions(page_seconds=60.0, total_seconds=15.0, delay_seconds=0.05)
    started = time.monotonic()
    observation = scan_site([bare_site.url, bare_site.slow_url], options=options)

    assert time.monotonic() - started < 15.0 + 10.0  # the bound, plus closing Chromium
    assert observation.stopped_early == "total time"
    assert [(visit.url, visit.status, visit.error) for visit in observation.pages] == [
        (bare_site.url, 200, None), (bare_site.slow_url, None, "total time")
    ]
    assert "_ga" in cookies(observation, State.NO_CHOICE)
    assert State.REJECTED not in observation.banner_found


def test_start_urls_must_be_http(chromium):
    with pytest.raises(ValidationFailed):
        scan_site(["file:///etc/passwd"], options=QUICK)


def test_bounds_out_of_range_are_refused():
    with pytest.raises(ValidationFailed) as raised:
        ScanOptions(max_pages=0, page_seconds=0, total_seconds=-1, delay_seconds=-0.1)
    assert set(raised.value.errors) == {"max_pages", "page_seconds", "total_seconds", "delay_seconds"}
