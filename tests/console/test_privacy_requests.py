"""The console's privacy request queue: order by due date, overdue and due-soon marks as time passes, the status
filter, one request's steps and systems, extension and refusal through the forms (audit, CSRF, reasons)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from consent_service.audit.models import AuditEntry
from consent_service.console import privacy_requests as console_queue
from consent_service.extensions import db
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequestStep
from tests.console.conftest import csrf_of, sign_in
from tests.privacy_request_factory import file_request

QUEUE = "/admin/privacy-requests"
ROW = re.compile(r'<tr[^>]* data-request="([^"]+)" data-due-state="([^"]+)"[^>]*>(.*?)</tr>', re.S)
MARK = re.compile(r'<span class="due-mark">([^<]+)</span>')
DAYS = re.compile(r'<td[^>]* data-field="days_left">([^<]+)</td>')
CELL = re.compile(r'<td[^>]* data-field="(\w+)">([^<]*)</td>')


def queue(console, **query) -> list[tuple[str, str, str, str]]:
    """(id, due state, mark text, days left) per row, in the page's order."""
    page = console.get(QUEUE, query_string=query)
    assert page.status_code == 200, page.get_data(as_text=True)
    return [(rid, state, MARK.search(cells).group(1), DAYS.search(cells).group(1))
            for rid, state, cells in ROW.findall(page.get_data(as_text=True))]


def later(console, clock, admin_key, **delta) -> None:
    """Move the clock (past the console session's life) and sign in again."""
    clock.advance(**delta)
    assert sign_in(console, admin_key).status_code == 302
    console.csrf = csrf_of(console.get("/admin/audit"))


def audit_entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def steps(request_id: str) -> list[str]:
    db.session.expire_all()
    return [s.action for s in privacy_requests.steps_of(session=db.session, request_id=request_id)]


def test_the_queue_lists_open_requests_by_due_date_with_type_law_and_channel(console, clock, admin_key):
    us = file_request(clock, type="access", country="US", region="US-CA")  # 45 days
    de = file_request(clock, type="deletion", country="DE")  # one month: 15 Jan -> 15 Feb
    br = file_request(clock, type="correction", country="BR")  # LGPD: 15 days
    later(console, clock, admin_key, days=3)
    older = file_request(clock, type="restriction", country="BR")  # 15 days from three days later
    closed = file_request(clock, type="access", country="DE", verified=True)  # no systems: completed at once
    assert closed.status == "completed"

    rows = queue(console)

    assert [r[0] for r in rows] == [br.id, older.id, de.id, us.id]
    html = console.get(QUEUE).get_data(as_text=True)
    assert closed.id not in html
    assert 'aria-current="page">Privacy requests</a>' in html
    assert all(state == "on_time" and mark == "On time" for _, state, mark, _ in rows)
    assert rows[0][3] == "12 days left"
    row = dict((rid, cells) for rid, _, cells in ROW.findall(html))[us.id]
    cells = dict(CELL.findall(row))
    assert (cells["type"], cells["law"], cells["channel"], cells["status"]) == ("access", "CCPA/CPRA · US-CA", "api",
                                                                                 "unverified")
    assert "2026-03-01" in row  # 15 January + 45 days
    assert re.search(r'data-count="open">4<', html)


def test_due_soon_and_overdue_are_written_out_as_time_passes(console, clock, admin_key):
    br = file_request(clock, type="access", country="BR")  # due 30 January, 09:30
    assert queue(console)[0][1:3] == ("on_time", "On time")

    later(console, clock, admin_key, days=8, hours=1)  # six days and 23 hours left: within the 7 days of "due soon"
    assert queue(console) == [(br.id, "due_soon", "Due soon", "6 days left")]
    html = console.get(QUEUE).get_data(as_text=True)
    assert re.search(r'data-count="due_soon">1<', html) and re.search(r'data-count="overdue">0<', html)

    later(console, clock, admin_key, days=7)  # 23 hours past the due date
    assert queue(console) == [(br.id, "overdue", "Overdue", "1 day late")]
    later(console, clock, admin_key, days=2)
    assert queue(console)[0][3] == "3 days late"
    html = console.get(QUEUE).get_data(as_text=True)
    assert re.search(r'data-count="overdue">1<', html) and re.search(r'data-count="due_soon">0<', html)
    detail = console.get(f"{QUEUE}/{br.id}").get_data(as_text=True)
    assert '<span class="due-mark">Overdue</span>' in detail and "3 days late" in detail


def test_the_status_filter(console, clock):
    waiting = file_request(clock, type="access", country="DE")
    done = file_request(clock, type="access", country="DE", verified=True)

    assert [r[0] for r in queue(console, status="completed")] == [done.id]
    assert [r[0] for r in queue(console, status="unverified")] == [waiting.id]
    assert {r[0] for r in queue(console, status="all")} == {waiting.id, done.id}
    assert queue(console, status="completed")[0][1:3] == ("closed", "Closed")
    bad = console.get(QUEUE, query_string={"status": "lost"})
    assert bad.status_code == 422 and 'id="form-errors"' in bad.get_data(as_text=True)


def test_the_request_page_shows_steps_with_time_and_actor_and_the_systems(console, clock, app_with):
    other = app_with(privacy_request_systems=("crm", "billing"))
    with other.app_context():
        request_id = file_request(clock, type="deletion", country="DE", verified=True).id
    page = console.get(f"{QUEUE}/{request_id}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.findall(r'<li data-action="([a-z_]+)">', html) == steps(request_id)
    assert "2026-01-15 09:30:00 UTC" in html and '<span data-field="actor">operator:' in html
    assert re.findall(r'<tr data-system="([^"]+)">', html) == ["billing", "crm"]
    assert 'id="extend-form"' in html and 'id="refuse-form"' in html
    assert console.get(f"{QUEUE}/pr_unknown").status_code == 404


def test_extend_through_the_form_moves_the_due_date_once_with_an_audit_entry(console, clock):
    item = file_request(clock, type="access", country="DE")
    before = item.due_at

    answer = console.post(f"{QUEUE}/{item.id}/extend", data={"csrf_token": console.csrf,
                                                             "reason": "Many requests this month "})
    assert answer.status_code == 303
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="action-message"' in page and "extended" in page and 'id="extend-form"' not in page
    db.session.expire_all()
    extended = privacy_requests.get(session=db.session, request_id=item.id)
    assert extended.extended and extended.due_at == before.replace(month=before.month + 2)  # GDPR: +2 months
    assert steps(item.id)[-1] == "extended"
    step = db.session.scalars(select(PrivacyRequestStep).where(PrivacyRequestStep.action == "extended")).one()
    assert step.actor.startswith("operator:ops (sk_") and step.details["reason"] == "Many requests this month"
    [entry] = audit_entries("privacy_request_extended")
    assert entry.target == item.id and entry.details["reason"] == "Many requests this month"
    assert entry.actor.startswith("ops (")

    again = console.post(f"{QUEUE}/{item.id}/extend", data={"csrf_token": console.csrf, "reason": "Once more"})
    assert again.status_code == 409
    assert len(audit_entries("privacy_request_extended")) == 1 and steps(item.id).count("extended") == 1


def test_refuse_through_the_form_closes_the_request_with_its_reason(console, clock):
    item = file_request(clock, type="deletion", country="DE")
    reason = "Art. 17(3)(b) GDPR: a legal obligation to keep the records"

    answer = console.post(f"{QUEUE}/{item.id}/refuse", data={"csrf_token": console.csrf, "reason": reason})

    assert answer.status_code == 303
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert reason in page and 'id="refuse-form"' not in page and 'id="extend-form"' not in page
    db.session.expire_all()
    refused = privacy_requests.get(session=db.session, request_id=item.id)
    assert (refused.status, refused.outcome) == ("refused", reason) and refused.closed_at == clock()
    [entry] = audit_entries("privacy_request_refused")
    assert entry.target == item.id and entry.details["reason"] == reason
    assert item.id not in [r[0] for r in queue(console)]
    assert [r[0] for r in queue(console, status="refused")] == [item.id]
    again = console.post(f"{QUEUE}/{item.id}/refuse", data={"csrf_token": console.csrf, "reason": reason})
    assert again.status_code == 409 and len(audit_entries("privacy_request_refused")) == 1


def test_a_blank_or_long_reason_is_refused_with_the_form_and_nothing_changes(console, clock):
    item = file_request(clock, type="access", country="DE")
    for action in ("extend", "refuse"):
        for reason in ("   ", "x" * 1001):
            answer = console.post(f"{QUEUE}/{item.id}/{action}", data={"csrf_token": console.csrf, "reason": reason})
            html = answer.get_data(as_text=True)
            assert answer.status_code == 422 and 'id="form-errors"' in html and "as the person will read it" in html
            assert 'aria-invalid="true"' in html
    db.session.expire_all()
    unchanged = privacy_requests.get(session=db.session, request_id=item.id)
    assert (unchanged.status, unchanged.extended, unchanged.due_at) == ("unverified", False, item.due_at)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("privacy_request_%"))) == 0


def test_forms_without_the_sessions_csrf_token_are_refused(console, clock, client):
    item = file_request(clock, type="access", country="DE")
    for data in ({"reason": "No token"}, {"reason": "Wrong token", "csrf_token": "forged"}):
        for action in ("extend", "refuse"):
            answer = console.post(f"{QUEUE}/{item.id}/{action}", data=data)
            assert answer.status_code == 403 and "csrf_rejected" in answer.get_data(as_text=True)
    cross_site = console.post(f"{QUEUE}/{item.id}/refuse", data={"csrf_token": console.csrf, "reason": "x"},
                              headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    db.session.expire_all()
    assert privacy_requests.get(session=db.session, request_id=item.id).status == "unverified"
    assert audit_entries("privacy_request_extended") == audit_entries("privacy_request_refused") == []


def test_without_a_session_the_queue_leads_to_sign_in(client, clock):
    item = file_request(clock, type="access", country="DE")
    for path in (QUEUE, f"{QUEUE}/{item.id}"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/admin/sign-in" in answer.headers["Location"]
    assert client.post(f"{QUEUE}/{item.id}/refuse", data={"reason": "x"}).status_code == 403


def test_a_law_without_an_extension_offers_none_and_refuses_one(console, clock):
    item = file_request(clock, type="access", country="BR")  # LGPD: 15 days, no extension
    html = console.get(f"{QUEUE}/{item.id}").get_data(as_text=True)
    assert 'id="extend-form"' not in html and "allows no extension" in html and 'id="refuse-form"' in html

    answer = console.post(f"{QUEUE}/{item.id}/extend", data={"csrf_token": console.csrf, "reason": "Busy"})

    assert answer.status_code == 409
    db.session.expire_all()
    assert privacy_requests.get(session=db.session, request_id=item.id).due_at == item.due_at
    assert audit_entries("privacy_request_extended") == [] and "extended" not in steps(item.id)


def test_a_cursor_that_is_not_one_is_a_form_error(console, clock):
    file_request(clock, type="access", country="DE")
    answer = console.get(QUEUE, query_string={"cursor": "not-a-cursor"})
    assert answer.status_code == 422 and 'id="form-errors"' in answer.get_data(as_text=True)


def test_the_queue_pages_on_by_due_date(console, clock, monkeypatch):
    monkeypatch.setattr(console_queue, "PAGE_SIZE", 2)
    places = (("BR", None), ("DE", None), ("US", "US-CA"))  # 15, 31 and 45 days
    made = [file_request(clock, type="access", country=country, region=region).id for country, region in places]
    first = console.get(QUEUE).get_data(as_text=True)
    assert [rid for rid, _, _ in ROW.findall(first)] == made[:2]
    following = re.search(r'<a class="link" rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = console.get(following).get_data(as_text=True)
    assert [rid for rid, _, _ in ROW.findall(second)] == made[2:] and 'rel="next"' not in second
