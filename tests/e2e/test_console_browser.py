"""The admin console in a real headless Chromium against a real gunicorn, over a few thousand generated events.

Sign in with the keyboard, read the dashboard (checked against the reports API and a recomputation from the
ledger), change range and grouping, edit a banner text (preview and live banner), publish a material notice
(reconsent count), look up and export a subject. Every page is photographed at laptop and phone size.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pytest
import requests

from consent_service import create_app
from consent_service.consents.service import EventContext, EventInput
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.properties import service as properties
from consent_service.reports import service as reports
from consent_service.reports.service import GroupBy, Interval
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from tests.conftest import settings_for
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.layout import LAPTOP, assert_fits, check_layout

pytestmark = pytest.mark.e2e

CHOICES = 1200  # x 3 purposes, plus withdrawals: about 3,700 events
DAYS = 20
PURPOSES = ("preferences", "analytics", "advertising")
PLACES = (("DE", "de"), ("FR", "fr"), ("GB", "en"), ("US", "en"))
TITLE = "Your choices, checked by the console test"
ROWS_JS = """rows => rows.map(r => ({period: r.dataset.period, group: r.dataset.group, purpose: r.dataset.purpose,
  cells: Object.fromEntries([...r.querySelectorAll('td[data-field]')].map(c => [c.dataset.field, c.textContent.trim()]))}))"""
CONTROLS_JS = """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
  .filter(el => !el.labels || el.labels.length === 0).map(el => el.name || el.id)"""


@dataclass
class Loaded:
    property_key: str
    events: int = 0
    per_subject: dict[str, int] = field(default_factory=dict)
    analytics_granted: set[str] = field(default_factory=set)


def load_events(database_url: str, today: date) -> Loaded:
    """Banner choices of CHOICES visitors over DAYS days, in four countries, through the consents service."""
    app = create_app(settings_for(database_url))
    rng = random.Random(20261125)
    latest = datetime.now(timezone.utc) - timedelta(minutes=5)
    with app.app_context():
        prop = properties.newest_named(session=db.session, name="Demo shop")
        loaded = Loaded(property_key=prop.publishable_key)
        for n in range(CHOICES):
            subject = f"e2e-{n}"
            day = today - timedelta(days=rng.randrange(DAYS))
            at = min(datetime.combine(day, time(rng.randrange(24), rng.randrange(60)), tzinfo=timezone.utc), latest)
            method = rng.choice((Method.BANNER_ACCEPT_ALL, Method.BANNER_ACCEPT_ALL, Method.BANNER_REJECT_ALL, Method.BANNER_CUSTOM))
            granted = {p: method is Method.BANNER_ACCEPT_ALL or (method is Method.BANNER_CUSTOM and rng.random() < 0.5)
                       for p in PURPOSES}
            country, language = rng.choice(PLACES)
            events = [EventInput(p, Decision.GRANTED if on else Decision.DENIED, method) for p, on in granted.items()]
            if granted["analytics"] and n % 10 == 0:  # some change their mind an hour later
                withdrawn_at = min(at + timedelta(hours=1), latest)
                _record(subject, events, country, language, prop, at)
                events, at = [EventInput("analytics", Decision.WITHDRAWN, Method.API)], withdrawn_at
                loaded.events += 3
                granted["analytics"] = False
            _record(subject, events, country, language, prop, at)
            loaded.events += len(events)
            loaded.per_subject[subject] = 3 + (1 if len(events) == 1 else 0)
            if granted["analytics"]:
                loaded.analytics_granted.add(subject)
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return loaded


def _record(subject, events, country, language, prop, at) -> None:
    record_consent(
        session=db.session, kind="visitor", external_id=subject, events=events, rules=runtime().rules, now=at,
        context=EventContext(notice_version=prop.notice_version, country=country, language=language,
                             property_key=prop.publishable_key),
    )


def recompute(database_url: str, **query) -> reports.ConsentRates:
    app = create_app(settings_for(database_url))
    with app.app_context():
        try:
            return reports.recompute(session=db.session, **query)
        finally:
            db.session.remove()
            db.engine.dispose()


def shots(page, name: str) -> None:
    """The page at laptop and at phone size, under the console's layout assertion (tests/e2e/layout.py)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert_fits(check_layout(page, name, SCREENSHOTS))


def assert_labelled(page) -> None:
    assert page.evaluate(CONTROLS_JS) == []
    assert page.locator("h1").count() == 1


def table_rows(page, table: str) -> dict[tuple, dict[str, str]]:
    rows = page.eval_on_selector_all(f"{table} tbody tr[data-period]", ROWS_JS)
    return {(r["period"], r["group"], r["purpose"]): r["cells"] for r in rows}


def expected_rows(report: dict | reports.ConsentRates) -> tuple[dict, dict]:
    """(rates, choices) keyed like the dashboard's tables, with the numbers as the dashboard prints them."""
    def value(item, name):
        return item[name] if isinstance(item, dict) else getattr(item, name)

    def iso(day):
        return day if isinstance(day, str) else day.isoformat()

    rates_list = value(report, "rates")
    choices_list = value(report, "choices")
    rates = {}
    for r in rates_list:
        rate = value(r, "opt_in_rate")
        rates[(iso(value(r, "period_start")), value(r, "group") or "", value(r, "purpose"))] = {
            "granted": str(value(r, "granted")), "denied": str(value(r, "denied")), "withdrawn": str(value(r, "withdrawn")),
            "rate": "—" if rate is None else f"{rate * 100:.1f} %",
        }
    choices = {
        (iso(value(c, "period_start")), value(c, "group") or "", None): {
            k: str(value(c, k)) for k in ("accept_all", "reject_all", "custom", "total")}
        for c in choices_list
    }
    return rates, choices


def check_dashboard(page, live_server, admin_key, database_url, *, start, end, interval, group_by, property_key) -> None:
    query = {"from": start.isoformat(), "to": end.isoformat(), "interval": interval.value, "property": property_key}
    if group_by:
        query["group_by"] = group_by.value
    api = requests.get(f"{live_server.url}/v1/reports/consent-rates", params=query,
                       headers={"Authorization": f"Bearer {admin_key}"}, timeout=30)
    assert api.status_code == 200, api.text
    from_api = expected_rows(api.json())
    from_ledger = expected_rows(recompute(database_url, start=start, end=end, interval=interval, group_by=group_by,
                                          property_key=property_key))
    assert from_api == from_ledger
    shown_rates = table_rows(page, "#rates-table")
    shown_choices = table_rows(page, "#choices-table")
    assert len(shown_rates) > 0 and shown_rates == from_api[0]
    assert shown_choices == from_api[1]


def test_the_console_end_to_end(live_server, demo_page, browser, database_url):
    today = datetime.now(timezone.utc).date()
    loaded = load_events(database_url, today)
    assert loaded.events >= 3000
    admin_key = live_server.flask("keys", "create", "--name", "console-e2e", "--scope", "admin",
                                  "--scope", "subjects:export").stdout.strip()
    context = browser.new_context(viewport=LAPTOP, locale="en-US", accept_downloads=True)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))

        # Without a session every page leads to sign-in.
        page.goto(f"{live_server.url}/admin/audit")
        assert page.url.startswith(f"{live_server.url}/admin/sign-in?reason=session_required")
        assert_labelled(page)
        shots(page, "sign-in")

        # Keyboard only: the key field has focus; type, Enter; then Tab through the skip link to the navigation.
        assert page.evaluate("document.activeElement.id") == "key"
        page.keyboard.type(admin_key)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/admin/audit")
        cookie = next(c for c in context.cookies() if c["name"] == "cs_admin")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"
        page.goto(f"{live_server.url}/admin/dashboard")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        for _ in range(10):
            if page.evaluate("document.activeElement.textContent") == "Properties":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/admin/properties")
        assert_labelled(page)
        shots(page, "properties")

        # Dashboard: the default range (the last 30 days), then weeks by country, then months by method.
        page.goto(f"{live_server.url}/admin/dashboard")
        assert_labelled(page)
        assert page.locator("#rate-chart").get_attribute("role") == "img"
        assert page.locator("#rate-chart path").count() == 3
        check_dashboard(page, live_server, admin_key, database_url, start=today - timedelta(days=29), end=today,
                        interval=Interval.DAY, group_by=None, property_key=None)
        shots(page, "dashboard")
        page.get_by_label("Property", exact=True).select_option(label="Demo shop")
        page.get_by_label("From", exact=True).fill((today - timedelta(days=13)).isoformat())
        page.get_by_label("Interval", exact=True).select_option("week")
        page.get_by_label("Group by", exact=True).select_option("country")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/admin/dashboard?*group_by=country*")
        check_dashboard(page, live_server, admin_key, database_url, start=today - timedelta(days=13), end=today,
                        interval=Interval.WEEK, group_by=GroupBy.COUNTRY, property_key=loaded.property_key)
        shots(page, "dashboard-weeks-by-country")
        page.get_by_label("Interval", exact=True).select_option("month")
        page.get_by_label("Group by", exact=True).select_option("method")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**/admin/dashboard?*group_by=method*")
        check_dashboard(page, live_server, admin_key, database_url, start=today - timedelta(days=13), end=today,
                        interval=Interval.MONTH, group_by=GroupBy.METHOD, property_key=loaded.property_key)

        # Properties: a new title shows in the preview as it is typed, then on the live banner once saved.
        page.goto(f"{live_server.url}/admin/properties")
        page.get_by_role("link", name="Demo shop").click()
        assert_labelled(page)
        preview = page.frame_locator("#preview-frame").locator("#cs-banner")
        preview.wait_for(state="visible")
        page.get_by_label("Title", exact=True).fill(TITLE)
        page.wait_for_function(
            "t => document.getElementById('preview-frame').contentDocument.querySelector('#cs-banner')?.textContent.includes(t)",
            arg=TITLE,
        )
        shots(page, "property-preview")
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Saved.").wait_for()
        visitor = browser.new_context(locale="en-US")
        try:
            banner_page = visitor.new_page()
            banner_page.goto(demo_page)
            banner_page.wait_for_selector("#cs-banner", state="visible")
            assert TITLE in banner_page.inner_text("#cs-banner")
        finally:
            visitor.close()

        # Notices: a material change of analytics puts every current analytics grant up for reconsent.
        page.get_by_role("link", name="Notices").click()
        assert_labelled(page)
        page.get_by_label("Property", exact=True).select_option(label="Demo shop")
        page.get_by_label("Kind", exact=True).select_option("cookie")
        page.get_by_label("Version", exact=True).fill("2026-e2e")
        page.get_by_label("Notice URL", exact=True).fill(f"{live_server.url}/demo#privacy-v2")
        page.get_by_label("Material change", exact=True).check()
        page.get_by_label("Analytics", exact=True).check()
        shots(page, "notices")
        page.get_by_role("button", name="Publish").click()
        page.locator("#reconsent-count").wait_for()
        assert int(page.inner_text("#reconsent-count")) == len(loaded.analytics_granted) > 100
        assert page.eval_on_selector_all("#affected-purposes li", "items => items.map(i => i.dataset.purpose)") == ["analytics"]
        shots(page, "notice-published")

        # Subjects: state, history and the export download.
        subject = "e2e-10"
        page.get_by_role("link", name="Subjects").click()
        page.get_by_label("Kind", exact=True).select_option("visitor")
        page.get_by_label("Subject id", exact=True).fill(subject)
        page.get_by_role("button", name="Look up").click()
        page.locator("#state-table").wait_for()
        assert_labelled(page)
        assert page.locator("#history-table tbody tr[data-event]").count() == loaded.per_subject[subject]
        shots(page, "subject")
        with page.expect_download() as download:
            page.get_by_role("button", name="Export (JSON)").click()
        exported = json.loads(download.value.path().read_text())
        assert exported["subject"] == {**exported["subject"], "kind": "visitor", "id": subject}
        assert len(exported["events"]) == loaded.per_subject[subject]

        # Webhooks and the audit log of everything above.
        page.get_by_role("link", name="Webhooks").click()
        assert_labelled(page)
        shots(page, "webhooks")
        page.get_by_role("link", name="Audit log").click()
        actions = page.eval_on_selector_all("#audit-table tbody tr[data-action]", "rows => rows.map(r => r.dataset.action)")
        assert actions == ["subject_exported", "notice_published", "property_updated", "sign_in"]
        shots(page, "audit")
        assert errors == []
    finally:
        context.close()
