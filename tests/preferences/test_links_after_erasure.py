"""Links issued before an erasure are dead: they answer 410, write nothing and never bring the identifier back."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject

EMAIL = "erase-me@example.com"
NOTICE = "2026-01-01"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def writer(auth):
    return auth("consents:read", "consents:write")


@pytest.fixture
def issue(client, writer):
    """issue() -> (page path, one-click path, confirmation path) for EMAIL, after a written grant."""

    def make() -> tuple[str, str, str]:
        body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": NOTICE}
        assert client.post(f"/v1/subjects/customer/{EMAIL}/consent-events", json=body, headers=writer).status_code == 201
        links = client.post("/v1/preference-links", json={"customer_id": EMAIL, "notice_version": NOTICE}, headers=writer)
        assert links.status_code == 200, links.json
        pending = client.post(f"/v1/subjects/customer/{EMAIL}/double-opt-in",
                              json={"purpose": "marketing", "notice_version": NOTICE}, headers=writer)
        assert pending.status_code == 201, pending.json
        return tuple(urlsplit(url).path for url in (links.json["url"], links.json["one_click_url"],
                                                    pending.json["confirmation_url"]))

    return make


def snapshot() -> tuple:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(ConsentEvent)),
            sorted(db.session.scalars(select(Subject.external_id))))


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def test_links_issued_before_an_erasure_are_gone_and_write_nothing(client, auth, issue, clock):
    page, one_click, confirm = issue()
    token = csrf(client.get(page).get_data(as_text=True))
    clock.advance(seconds=30)
    assert client.delete(f"/v1/subjects/customer/{EMAIL}", headers=auth("subjects:erase")).status_code == 200
    clock.advance(seconds=30)
    before = snapshot()
    assert EMAIL not in before[1]

    answers = [
        client.get(page), client.post(page, data={"csrf_token": token, "shown": ["marketing"], "purpose": ["marketing"]}),
        client.get(one_click), client.post(one_click, data=ONE_CLICK),
        client.get(confirm), client.post(confirm, data={"csrf_token": token}),
    ]

    for answer in answers:
        assert answer.status_code == 410, (answer.request.method, answer.request.path, answer.status_code)
        assert "This link no longer works" in answer.get_data(as_text=True)
        assert "subject_erased" in answer.get_data(as_text=True)
    assert snapshot() == before  # no event, and no subject row named by the email again


def test_a_link_issued_after_the_erasure_works_for_the_new_subject(client, auth, issue, clock):
    old_page, old_one_click, _ = issue()
    clock.advance(seconds=30)
    assert client.delete(f"/v1/subjects/customer/{EMAIL}", headers=auth("subjects:erase")).status_code == 200
    clock.advance(seconds=1)
    page, one_click, _ = issue()  # the same email signs up again: a new subject

    assert client.get(page).status_code == 200
    assert client.post(one_click, data=ONE_CLICK).status_code == 200
    assert client.get(old_page).status_code == 410 and client.post(old_one_click, data=ONE_CLICK).status_code == 410

    clock.advance(seconds=30)  # erased again: the second generation of links dies too
    assert client.delete(f"/v1/subjects/customer/{EMAIL}", headers=auth("subjects:erase")).status_code == 200
    assert client.get(page).status_code == 410


def test_a_link_signed_in_the_second_of_the_erasure_counts_as_before_it(app, client, auth, issue, clock):
    clock.advance(seconds=0.25)
    page, _, _ = issue()
    clock.advance(seconds=0.5)  # same whole second as the link's signature
    assert client.delete(f"/v1/subjects/customer/{EMAIL}", headers=auth("subjects:erase")).status_code == 200
    assert subjects.find(session=db.session, kind="customer", external_id=EMAIL) is None
    assert client.get(page).status_code == 410
