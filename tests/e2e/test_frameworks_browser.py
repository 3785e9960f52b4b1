"""IAB GPP and TCF v2.3 in a real Chromium against a real gunicorn (issue 21): a tag that runs before the framework
code reads the GPP string of a Californian with GPC through __gpp, a TCF rejection and acceptance encode what was
chosen (decoded by the IAB's own library), the files load with SRI and only where a property enables them."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from consent_service.frameworks import gpp
from tests.e2e.conftest import ROOT
from tests.frameworks.gvl_files import GVL_42

pytestmark = pytest.mark.e2e

COUNTRY_HEADER, REGION_HEADER = "CF-IPCountry", "X-Region"
CMP_ID = 300  # a registered CMP's id: the IAB's libraries refuse to read a TC string of CMP 0 or 1
VENDORS = [1, 2, 4, 12]
DECODE = ROOT / "tests" / "frameworks" / "iab_decode.mjs"
BANNER = "#cs-banner"
# The "ad tag": runs right after consent.js, before any framework file can have loaded, and keeps what it saw.
EARLY_TAG = """
  window.__seen = [];
  __gpp('ping', function (data) { window.__seen.push({cmd: 'gpp ping', cmpStatus: data.cmpStatus}); });
  __gpp('addEventListener', function (event) {
    window.__seen.push({cmd: 'gpp event', name: event.eventName, status: event.pingData.signalStatus});
  });
  __tcfapi('ping', 2, function (data) { window.__seen.push({cmd: 'tcf ping', loaded: data.cmpLoaded}); });
"""


class Site:
    """The operator's site on its own loopback origin: pages served from a dict, every request path recorded."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = site.pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args) -> None:  # the test's output stays the test's
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, *, api: str, key: str, frameworks: str | None, script: str | None = None) -> str:
        """The tag the console prints: consent-frameworks.js with data-frameworks, else consent.js."""
        attribute = f' data-frameworks="{frameworks}"' if frameworks else ""
        script = script or ("consent-frameworks.js" if frameworks else "consent.js")
        tag = f"<script>{EARLY_TAG}</script>" if script == "consent-frameworks.js" else ""
        self.pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<script src="{api}/{script}" data-property="{key}"{attribute}></script>{tag}'
            "</head><body><h1>Shop</h1></body></html>"
        )
        return self.origin + path


@pytest.fixture
def site() -> Iterator[Site]:
    made = Site()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def server(monkeypatch, request, database_url):
    """The service behind a CDN that names the visitor's place, registered as TCF CMP 300, with vendor list 42."""
    monkeypatch.setenv("COUNTRY_HEADER", COUNTRY_HEADER)
    monkeypatch.setenv("REGION_HEADER", REGION_HEADER)
    monkeypatch.setenv("TCF_CMP_ID", str(CMP_ID))
    monkeypatch.setenv("TCF_CMP_VERSION", "1")
    live = request.getfixturevalue("live_server")
    live.flask("tcf", "gvl", "update", "--from", str(GVL_42))
    return live


def admin_key(server) -> str:
    return server.flask("keys", "create", "--name", "admin", "--scope", "admin").stdout.strip()


def make_property(server, site: Site, **fields) -> str:
    body = {"name": "Shop", "allowed_origins": [site.origin], "notice_version": "1", "default_language": "en",
            "notice_url": f"{site.origin}/privacy", "purposes": ["necessary", "analytics", "advertising"], **fields}
    created = requests.post(f"{server.url}/v1/properties", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {admin_key(server)}"})
    assert created.status_code == 201, created.text
    return created.json()["publishable_key"]


def visitor(browser, server, *, country: str, region: str | None = None, gpc: bool = False):
    """A browser context whose requests to the service carry the CDN's place (and Sec-GPC), with navigator's GPC.
    The headers are added on the way, as a CDN adds them, not by the page (which would make CORS preflights)."""
    place = {COUNTRY_HEADER: country} | ({REGION_HEADER: region} if region else {}) | ({"Sec-GPC": "1"} if gpc else {})
    context = browser.new_context(locale="en-US")
    context.route(f"{server.url}/**", lambda route: route.continue_(headers={**route.request.headers, **place}))
    if gpc:
        context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    return context


def fetched(page) -> list[str]:
    paths: list[str] = []
    page.on("request", lambda req: paths.append(req.url))
    return paths


def gpp_ping(page) -> dict:
    return page.evaluate("new Promise((resolve) => __gpp('ping', (data) => resolve(data)))")


def tc_data(page) -> dict:
    page.wait_for_function("window.ConsentService.getToken() !== null")
    return page.evaluate("""new Promise((resolve) => __tcfapi('addEventListener', 2, (data, ok) => {
        if (ok && data.eventStatus === 'useractioncomplete') resolve(data);
    }))""")


def iab_decoded(*strings: str) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is needed to decode TC strings with the IAB's library"
    done = subprocess.run([node, str(DECODE), *strings], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_a_californian_with_gpc_is_opted_out_in_the_gpp_string_a_tag_reads(browser, server, site):
    key = make_property(server, site, frameworks=["gpp", "tcf"], tcf_vendors=VENDORS)
    url = site.page("/ca", api=server.url, key=key, frameworks="gpp tcf")
    context = visitor(browser, server, country="US", region="US-CA", gpc=True)
    try:
        page = context.new_page()
        requested = fetched(page)
        page.goto(url)
        page.wait_for_function("window.__seen.some((s) => s.cmd === 'gpp event' && s.status === 'ready')")
        # The stubs answered the tag before any framework file ran.
        assert page.evaluate("window.__seen[0]") == {"cmd": "gpp ping", "cmpStatus": "stub"}
        assert {"cmd": "tcf ping", "loaded": False} in page.evaluate("window.__seen")
        ping = gpp_ping(page)
        assert (ping["signalStatus"], ping["applicableSections"]) == ("ready", [8])
        data = page.evaluate("new Promise((resolve) => __gpp('getGPPData', (data) => resolve(data)))")
        assert data["gppString"] == ping["gppString"] and data["applicableSections"] == [8]
        decoded = gpp.decode(ping["gppString"])
        assert decoded.section_ids == (7, 8)
        for section in ("usnat", "usca"):
            fields = decoded.sections[section]
            assert (fields["SaleOptOut"], fields["SharingOptOut"], fields["Gpc"]) == (1, 1, True), section
        assert decoded.sections["usnat"]["TargetedAdvertisingOptOut"] == 1
        loaded = [u for u in requested if "/frameworks/" in u]
        assert sorted(u.rsplit("/", 1)[1].split(".")[0] for u in loaded) == ["gpp", "tcf"]
        integrity = page.evaluate("[...document.querySelectorAll('script[src*=\"/frameworks/\"]')]"
                                  ".map((s) => [s.integrity, s.crossOrigin])")
        assert all(value.startswith("sha384-") and mode == "anonymous" for value, mode in integrity)
    finally:
        context.close()


def test_a_tampered_framework_file_is_refused_by_sri_and_its_stub_stays(browser, server, site):
    key = make_property(server, site, frameworks=["gpp"])
    url = site.page("/tampered", api=server.url, key=key, frameworks="gpp")
    context = visitor(browser, server, country="US", region="US-CA")
    try:
        page = context.new_page()
        warnings: list[str] = []
        page.on("console", lambda message: warnings.append(message.text))

        def tampered(route):
            original = route.fetch()
            route.fulfill(response=original, body=original.text() + "\nwindow.__tampered = true;")

        page.route("**/frameworks/gpp.*.js", tampered)
        page.goto(url)
        page.wait_for_function("window.ConsentService !== undefined")
        page.wait_for_timeout(1000)  # time for the file to load, were it accepted
        assert page.evaluate("window.__tampered") is None
        assert gpp_ping(page)["cmpStatus"] == "stub"
        assert any("gpp" in text for text in warnings), warnings
    finally:
        context.close()


def test_without_frameworks_only_consent_js_loads(browser, server, site):
    key = make_property(server, site)
    url = site.page("/plain", api=server.url, key=key, frameworks=None)
    context = visitor(browser, server, country="DE")
    try:
        page = context.new_page()
        requested = fetched(page)
        page.goto(url)
        page.wait_for_selector(BANNER, state="visible")
        scripts = [u for u in requested if u.endswith(".js")]
        assert scripts == [f"{server.url}/consent.js"]
        assert page.evaluate("typeof window.__gpp + ' ' + typeof window.__tcfapi") == "undefined undefined"
    finally:
        context.close()


def test_consent_js_on_a_frameworks_tag_says_so_and_installs_nothing(browser, server, site):
    """The misconfiguration: consent.js, which has no frameworks, on a tag and a property that ask for them."""
    key = make_property(server, site, frameworks=["gpp", "microsoft_uet"])
    url = site.page("/wrong", api=server.url, key=key, frameworks="gpp microsoft_uet", script="consent.js")
    context = visitor(browser, server, country="DE")
    try:
        page = context.new_page()
        warnings: list[str] = []
        page.on("console", lambda message: warnings.append(message.text))
        requested = fetched(page)
        page.goto(url)
        page.wait_for_selector(BANNER, state="visible")
        assert [u for u in requested if u.endswith(".js")] == [f"{server.url}/consent.js"]
        assert page.evaluate("typeof window.__gpp + ' ' + typeof window.uetq") == "undefined undefined"
        assert "[consent] frameworks gpp,microsoft_uet off: load consent-frameworks.js" in warnings, warnings
        # The choice itself is unchanged: recorded, and the banner goes.
        page.click('[data-cs-action="reject-all"]')
        page.wait_for_selector(BANNER, state="hidden")
        page.wait_for_function("window.ConsentService.getToken() !== null")
    finally:
        context.close()


@pytest.mark.parametrize("action", ["reject-all", "accept-all", "partners"])
def test_the_tcf_layer_encodes_what_was_chosen_and_the_service_keeps_it(browser, server, site, action):
    key = make_property(server, site, frameworks=["gpp", "tcf"], tcf_vendors=VENDORS)
    url = site.page("/de", api=server.url, key=key, frameworks="gpp tcf")
    context = visitor(browser, server, country="DE")
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(f"{BANNER} [data-tcf-action=partners]", state="visible")
        if action == "partners":
            page.click(f"{BANNER} [data-tcf-action=partners]")
            dialog = page.locator("[role=dialog].cs-tcf")
            dialog.wait_for(state="visible")
            dialog.locator("details.cs-tcf-row summary", has_text="Example Analytics").click()  # vendor 2, folded
            for field, ident in [("purposeConsents", 1), ("purposeConsents", 8), ("purposeConsents", 9),
                                 ("vendorConsents", 2)]:
                dialog.locator(f"input[data-tcf-field={field}][data-tcf-id='{ident}']").check()
            dialog.locator("[data-tcf-action=save]").click()
        else:
            page.click(f"{BANNER} [data-cs-action={action}]")
        data = tc_data(page)
        (decoded,) = iab_decoded(data["tcString"])
        assert (decoded["cmpId"], decoded["vendorListVersion"], decoded["policyVersion"]) == (CMP_ID, 42, 5)
        assert decoded["vendorsDisclosed"] == VENDORS
        if action == "reject-all":
            assert decoded["purposeConsents"] == [] and decoded["vendorConsents"] == []
            assert decoded["specialFeatureOptins"] == []
        elif action == "accept-all":
            assert decoded["purposeConsents"] == list(range(1, 12))
            assert decoded["vendorConsents"] == VENDORS
        else:
            assert decoded["purposeConsents"] == [1, 8, 9] and decoded["vendorConsents"] == [2]
        # The service kept the same string as the choice's evidence, and answers with it.
        visitor_id = page.evaluate("JSON.parse(atob(window.ConsentService.getToken().split('.')[1]"
                                   ".replace(/-/g, '+').replace(/_/g, '/'))).sub").split(":", 1)[1]
        check = requests.post(f"{server.url}/v1/checks", timeout=10, headers={"Authorization": f"Bearer {server.key}"},
                              json={"subject": {"kind": "visitor", "id": visitor_id}, "purposes": ["advertising"],
                                    "country": "DE", "signals": ["tcf"], "tcf": {"vendor": 2, "purposes": [1]}})
        assert check.status_code == 200, check.text
        assert check.json()["signals"]["tcf"]["tc_string"] == data["tcString"]
        assert check.json()["tcf"]["allowed"] is (action != "reject-all")
    finally:
        context.close()

