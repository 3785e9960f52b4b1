"""The console's scans in a real Chromium: queue a scan from the form, let the worker run it, read its findings and
the banner's screenshots in the three states (issue 20, acceptance 4)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import run_flask
from tests.scanner.site import EVERY_DEFECT

pytestmark = pytest.mark.e2e

IMAGES_JS = """() => [...document.querySelectorAll('figure img')].map(img => ({
  state: img.dataset.state, alt: img.alt, loaded: img.complete && img.naturalWidth > 0}))"""


def test_a_scan_queued_in_the_console_shows_its_findings_and_the_banner_in_three_states(
    scan_site_server, browser
):
    site = scan_site_server
    assert site.service_env is not None
    site.defects = EVERY_DEFECT
    key = run_flask(site.service_env, "keys", "create", "--name", "console-scans", "--scope", "admin").stdout.strip()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("response", lambda answer: answer.status >= 400 and errors.append(f"{answer.status} {answer.url}"))
        page.goto(f"{site.service_url}/admin/sign-in")
        page.fill("#key", key)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.service_url}/admin/dashboard")
        page.goto(f"{site.service_url}/admin/properties")
        page.get_by_role("link", name="Scanned shop").click()
        page.get_by_role("link", name="Compliance scans").click()

        page.get_by_label("Pages to start from").fill(site.url)
        page.get_by_label("Pages at most, per state").fill("2")
        page.get_by_role("button", name="Queue the scan").click()
        page.wait_for_url("**/admin/scans/scan_*")
        assert "Queued: 0 of 3 page visits" in page.locator("#scan-progress").inner_text()

        run_flask(site.service_env | {"SCANNER_DELAY_SECONDS": "0"}, "scans", "work", "--once")
        page.reload()
        counts = {cell.get_attribute("data-count"): int(cell.inner_text()) for cell in page.locator("#scan-counts dd").all()}
        assert counts["violation"] >= 2 and counts["gap"] >= 1, counts
        kinds = [row.get_attribute("data-kind") for row in page.locator("#findings tbody tr").all()]
        assert kinds.count("violation") == counts["violation"] and kinds.count("gap") == counts["gap"]
        images = page.evaluate(IMAGES_JS)
        assert [image["state"] for image in images] == ["no_choice", "rejected", "accepted"]
        assert all(image["loaded"] and image["alt"].startswith("The first page") for image in images), images

        # The property's list links the scan, with its counts.
        page.get_by_role("link", name=site_name(page)).click()
        assert page.locator("[data-scan]").count() == 1
        assert errors == []
    finally:
        context.close()


def site_name(page) -> str:
    """The link back from a scan to its property's scans: the property's name in the lead."""
    return page.locator("p.lead a").first.inner_text()
