"""Every console page in a real headless Chromium against a real gunicorn, at 1280x800 and 390x844, with content
that strains a layout: long names, ids and URLs, an erased subject's 64-character pseudonym in the audit log, a
long banner description, many rows. One assertion (tests/e2e/layout.py) per page and size, and a screenshot of
each in the test's directory; the widths measured are written beside them (layout.json)."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest

from consent_service import create_app
from consent_service.apikeys import service as apikeys
from consent_service.audit import service as audit
from consent_service.consents.service import EventContext, EventInput
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.notices import service as notices
from consent_service.properties import service as properties
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookDelivery
from consent_service.webhooks.signing import SecretCipher
from tests.conftest import settings_for
from tests.e2e.layout import LAPTOP, assert_fits, check_layout
from tests.privacy_request_factory import file_request

pytestmark = pytest.mark.e2e

LONG_NAME = "Northwind Traders — the European online shop, its loyalty programme and the members' magazine (staging)"
LONG_SUBJECT = "customer-" + "7f3a9c1e" * 12  # one long word, as account ids of some systems are
ERASED = "customer-erased-by-the-layout-test@example.com"
DESCRIPTION = ("We and our partners use cookies and similar technologies to keep the shop working, remember your "
               "choices, measure how the shop is used and show advertising that fits your interests. " * 4).strip()
LONG_URL = "https://hooks.northwind-traders.example/consent/v2/receive?tenant=northwind-traders-europe&region=eu-central-1"
PURPOSES = ("preferences", "analytics", "advertising")
STACKED = {"audit", "privacy-requests"}


class At:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def seed(database_url: str) -> dict[str, str]:
    """The content, written through the services as the API and the console write it."""
    app = create_app(settings_for(database_url))
    now = datetime.now(timezone.utc) - timedelta(minutes=1)
    with app.app_context():
        try:
            settings = runtime().settings
            props = [properties.create_property(
                session=db.session, name=LONG_NAME if n == 0 else f"Shop number {n}", notice_version="2026-01-01",
                allowed_origins=[f"https://shop-{n}.northwind-traders.example", "https://www.northwind-traders.example"],
                notice_url=f"https://www.northwind-traders.example/legal/privacy-and-cookie-notice/{n}", now=now,
                texts={"en": {"ui": {"description": DESCRIPTION}}} if n == 0 else None,
            ) for n in range(12)]
            shop = props[0]
            endpoint, _ = webhooks.create_endpoint(
                session=db.session, url=LONG_URL, event_types=["consent.changed", "subject.erased", "notice.published"],
                description="The loyalty programme's CRM, which keeps its own copy of the members' choices",
                cipher=SecretCipher(settings.key_encryption_keys), allow_private=True, now=now)
            for n in range(3):
                webhooks.create_endpoint(session=db.session, url=f"https://hooks.example/{n}", event_types=["consent.changed"],
                                         cipher=SecretCipher(settings.key_encryption_keys), allow_private=True, now=now)
            for n, subject in enumerate([*(f"v-{i}" for i in range(40)), LONG_SUBJECT, ERASED]):
                at = now - timedelta(days=n % 14, hours=n)
                for round_ in range(3 if subject == LONG_SUBJECT else 1):
                    events = [EventInput(p, Decision.GRANTED if (n + round_ + i) % 2 else Decision.DENIED, Method.BANNER_CUSTOM)
                              for i, p in enumerate(PURPOSES)]
                    record_consent(session=db.session, kind="customer" if subject in (LONG_SUBJECT, ERASED) else "visitor",
                                   external_id=subject, events=events, rules=runtime().rules, now=at + timedelta(minutes=round_),
                                   context=EventContext(notice_version="2026-01-01", country="DE", language="de",
                                                        property_key=shop.publishable_key))
            db.session.commit()
            failed = db.session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).limit(5).all()
            for delivery in failed:
                delivery.status, delivery.attempts = "failed", 12
                delivery.last_status_code, delivery.last_error = 503, "Service Unavailable: the receiver's load balancer answered 503 " * 3
            notices.publish(session=db.session, kind="cookie", version="2026-03-01-material-change-analytics-and-advertising",
                            material=True, purpose_keys=["analytics", "advertising"], url=LONG_URL.replace("hooks", "www"),
                            property_key=props[1].publishable_key, now=now)
            for n in range(8):
                notices.publish(session=db.session, kind="privacy", version=f"2026-0{n + 1}-15", material=False,
                                purpose_keys=[], url=f"https://www.northwind-traders.example/privacy/{n}", now=now)
            key, _ = apikeys.create_key(session=db.session, name="layout-operator-with-a-rather-long-key-name",
                                        scopes=["admin"], now=now)
            for n in range(60):
                audit.record(session=db.session, actor_key_id=key.id, actor=f"{key.name} ({key.prefix})",
                             action="property_updated", target=props[n % 12].id, now=now - timedelta(minutes=n),
                             details={"language": "en", "allowed_origins": [f"https://shop-{i}.northwind-traders.example"
                                                                            for i in range(4)], "texts_changed": ["description"]})
            db.session.commit()
            request = file_request(At(now - timedelta(days=3)), type="deletion", country="DE", subject_id=LONG_SUBJECT)
            for n in range(6):
                file_request(At(now - timedelta(days=n * 7)), type=("access", "correction", "objection")[n % 3], country="FR")
            return {"shop": shop.id, "webhook": endpoint.id, "request": request.id}
        finally:
            db.session.remove()
            db.engine.dispose()


def test_every_console_page_fits_both_sizes(live_server, browser, database_url, tmp_path):
    made = seed(database_url)
    admin_key = live_server.flask("keys", "create", "--name", "layout-operator-with-a-rather-long-key-name",
                                  "--scope", "admin", "--scope", "subjects:export", "--scope", "subjects:erase").stdout.strip()
    context = browser.new_context(viewport=LAPTOP, locale="en-US")
    errors: list[str] = []
    measured = []
    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(f"{live_server.url}/admin/dashboard")
        measured += check_layout(page, "sign-in", tmp_path)
        page.get_by_label("Admin key").fill(admin_key)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/admin/dashboard")

        # The erased subject: erased through the console's form, as an operator does.
        page.goto(f"{live_server.url}/admin/subjects?kind=customer&id={ERASED}")
        page.get_by_label("Type the subject id again to confirm").fill(ERASED)
        page.get_by_role("button", name="Erase", exact=True).click()
        page.locator("#erasure-receipt").wait_for()
        receipt = page.inner_text("#erasure-receipt")
        measured += check_layout(page, "erased", tmp_path)

        pages = {
            "dashboard": "/admin/dashboard",
            "properties": "/admin/properties",
            "property": f"/admin/properties/{made['shop']}",
            "scans": f"/admin/properties/{made['shop']}/scans",
            "notices": "/admin/notices",
            "subject": f"/admin/subjects?kind=customer&id={LONG_SUBJECT}",
            "subject-erased": f"/admin/subjects?kind=customer&id={ERASED}",
            "privacy-requests": "/admin/privacy-requests?status=all",
            "privacy-request": f"/admin/privacy-requests/{made['request']}",
            "webhooks": "/admin/webhooks",
            "webhook": f"/admin/webhooks/{made['webhook']}",
            "audit": "/admin/audit",
        }
        for name, path in pages.items():
            answer = page.goto(f"{live_server.url}{path}")
            assert answer.status == 200, (name, answer.status)
            if name == "property":
                page.frame_locator("#preview-frame").locator("#cs-banner").wait_for(state="visible")
                assert DESCRIPTION in page.input_value("#text-ui\\.description")
            # Tables that stack into cards on a phone are whole there too: nothing to scroll sideways.
            measured += check_layout(page, name, tmp_path, sideways_at_phone=name not in STACKED)
        page.goto(f"{live_server.url}/admin/subjects?kind=customer&id={ERASED}")
        assert page.inner_text("#erasure [data-field=receipt]") == receipt
        assert page.inner_text("#erasure [data-field=erased_by]").startswith("layout-operator-with-a-rather-long-key-name (sk_")
        page.goto(f"{live_server.url}/admin/audit")
        # The pseudonym the audit log names is there whole, in a column that fits.
        target = page.inner_text("#audit-table tbody tr[data-action=subject_erased] td:nth-child(4)")
        assert target.startswith("customer:") and len(target) > 64

        # A webhook added through its form: the page with its secret, shown once, fits too.
        page.goto(f"{live_server.url}/admin/webhooks")
        page.get_by_label("URL", exact=True).fill(LONG_URL + "&second=1")
        page.get_by_label("consent.changed", exact=True).check()
        page.get_by_role("button", name="Add endpoint").click()
        page.locator("#webhook-secret").wait_for()
        assert page.inner_text("#webhook-secret").startswith("whsec_")
        measured += check_layout(page, "webhook-created", tmp_path)
        assert errors == []
        assert_fits(measured)
    finally:
        context.close()
        (tmp_path / "layout.json").write_text(json.dumps([{**asdict(m), "screenshot": str(m.screenshot)} for m in measured],
                                                         indent=1))
        for m in measured:
            print(f"{m.page:18} {m.size:6} scrollWidth {m.scroll_width:5} of {m.inner_width:5}  header "
                  f"{m.header_height:.0f}/{m.header_line:.0f} px, {m.header_spare if m.header_spare is None else round(m.header_spare)} px spare  "
                  f"{m.screenshot}")
