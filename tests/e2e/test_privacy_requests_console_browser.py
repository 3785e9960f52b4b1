"""The console's privacy request queue in a real headless Chromium against a real gunicorn, at laptop (1280x800)
and phone (375x667) size: open requests by due date, the overdue one marked in words, nothing wider than the
screen; then one request's steps and an extension with its reason through the form. /metrics of the same
gunicorn (multiprocess mode) counts the same queue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from consent_service import create_app
from consent_service.extensions import db
from tests.conftest import settings_for
from tests.privacy_request_factory import file_request, refuse

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
ROWS_JS = """rows => rows.map(r => ({id: r.dataset.request, state: r.dataset.dueState,
  mark: r.querySelector('.due-mark').textContent.trim()}))"""
FITS_JS = "document.documentElement.scrollWidth <= window.innerWidth"
# The queue's own region neither: at both sizes every column is there without scrolling sideways.
QUEUE_FITS_JS = "(r => r.scrollWidth <= r.clientWidth + 1)(document.querySelector('#queue-table').parentElement)"
# What sticks out past the window's right edge, to name in a failure.
WIDER_JS = """() => [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')).slice(0, 8)"""


class At:
    """A clock for the factory that stands at a given moment (the live server runs on real time)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def file_requests(database_url: str) -> dict[str, str]:
    """Requests received at different times, so that one is overdue, one due soon, two on time, one closed."""
    today = datetime.now(timezone.utc)
    app = create_app(settings_for(database_url))
    with app.app_context():
        try:
            made = {
                "overdue": file_request(At(today - timedelta(days=40)), type="deletion", country="DE"),
                "due_soon": file_request(At(today - timedelta(days=26)), type="access", country="FR"),
                "later": file_request(At(today - timedelta(minutes=5)), type="access", country="US", region="US-CA"),
                "sooner": file_request(At(today - timedelta(days=2)), type="correction", country="BR"),
                "closed": file_request(At(today - timedelta(days=50)), type="restriction", country="DE"),
            }
            refuse(At(today - timedelta(days=45)), made["closed"].id, "Not the person's data")
            return {name: item.id for name, item in made.items()}
        finally:
            db.session.remove()
            db.engine.dispose()


def fits(page, name: str, screenshot) -> None:
    """At both sizes the page is no wider than the window (tables scroll inside their own region)."""
    for size, label in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        assert page.evaluate(FITS_JS), f"{name} overflows at {label} size: {page.evaluate(WIDER_JS)}"
        screenshot(page, f"console-{name}-{label}")
    page.set_viewport_size(LAPTOP)


def gauges(url: str) -> dict[str, float]:
    """The privacy request gauges as gunicorn's workers answer them (multiprocess mode: a registry per scrape)."""
    answer = requests.get(f"{url}/metrics", timeout=10)
    assert answer.status_code == 200
    return {sample.name: sample.value for family in text_string_to_metric_families(answer.text)
            for sample in family.samples if sample.name.startswith("privacy_requests_")}


def test_the_queue_in_chromium(live_server, browser, screenshot, database_url):
    ids = file_requests(database_url)
    for _ in range(4):  # whichever worker answers
        assert gauges(live_server.url) == {"privacy_requests_open": 4, "privacy_requests_overdue": 1,
                                           "privacy_requests_due_soon": 1,
                                           "privacy_requests_median_days_to_close": 5.0}
    admin_key = live_server.flask("keys", "create", "--name", "queue-e2e", "--scope", "admin").stdout.strip()
    context = browser.new_context(viewport=LAPTOP, locale="en-US")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))
        page.goto(f"{live_server.url}/admin/privacy-requests")
        page.get_by_label("Admin key").fill(admin_key)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/admin/privacy-requests")

        rows = page.eval_on_selector_all("#queue-table tbody tr[data-request]", ROWS_JS)
        assert [r["id"] for r in rows] == [ids["overdue"], ids["due_soon"], ids["sooner"], ids["later"]]
        assert [(r["state"], r["mark"]) for r in rows] == [
            ("overdue", "Overdue"), ("due_soon", "Due soon"), ("on_time", "On time"), ("on_time", "On time")]
        assert page.locator("#queue-table").get_by_text("Overdue").is_visible()
        assert page.inner_text("[data-count=overdue]") == "1" and page.inner_text("[data-count=open]") == "4"
        fits(page, "privacy-requests", screenshot)
        for size in (LAPTOP, PHONE):
            page.set_viewport_size(size)
            assert page.evaluate(QUEUE_FITS_JS), f"the queue scrolls sideways at {size}"

        # On a phone too the queue reads the same, the overdue mark first in its row.
        page.set_viewport_size(PHONE)
        page.reload()
        first = page.locator("#queue-table tbody tr").first
        assert first.locator(".due-mark").inner_text() == "Overdue"
        assert first.locator(".due-mark").is_visible()
        page.set_viewport_size(LAPTOP)

        # The overdue request: its steps, then an extension with its reason.
        page.get_by_role("link", name=ids["overdue"]).click()
        page.wait_for_url(f"**/admin/privacy-requests/{ids['overdue']}")
        assert page.locator("#steps li[data-action=received]").count() == 1
        fits(page, "privacy-request", screenshot)
        page.get_by_label("Reason for the extension").fill("Complex request: several systems hold the data")
        page.get_by_role("button", name="Extend").click()
        page.locator("#action-message").wait_for()
        assert page.locator("#steps li[data-action=extended]").count() == 1
        assert "Complex request: several systems hold the data" in page.inner_text("#steps")
        fits(page, "privacy-request-extended", screenshot)

        page.get_by_role("link", name="Audit log").click()
        actions = page.eval_on_selector_all("#audit-table tbody tr[data-action]", "rows => rows.map(r => r.dataset.action)")
        assert actions[0] == "privacy_request_extended"
        assert errors == []
    finally:
        context.close()
