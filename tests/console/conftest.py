"""Console fixtures: an admin key, a property, a signed-in client, and events recorded on given days."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from consent_service.consents.service import EventContext, EventInput
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from tests.hardening.conftest import make_property

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client, key: str, **headers: str):
    """Sign in as a browser would: fetch the form (its token), post the key; returns the answer."""
    token = csrf_of(client.get("/admin/sign-in"))
    return client.post("/admin/sign-in", data={"key": key, "csrf_token": token}, headers=headers)


@pytest.fixture
def prop(app, clock):
    return make_property(clock)


@pytest.fixture
def admin_key(make_key) -> str:
    return make_key("admin", "subjects:export", "subjects:erase", name="ops")


@pytest.fixture
def console(client, admin_key):
    """A client signed in with the admin key; `console.csrf` is its session's form token."""
    answer = sign_in(client, admin_key)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    client.csrf = csrf_of(client.get("/admin/audit"))
    return client


def record(*, at: datetime, subject: str, choices: dict[str, bool], method: Method, property_key: str | None,
           country: str = "DE", language: str = "en") -> None:
    """One banner-style choice of a visitor at `at`, through the consents service (so the rollup counts it)."""
    events = [EventInput(purpose, Decision.GRANTED if on else Decision.DENIED, method) for purpose, on in choices.items()]
    record_consent(
        session=db.session, kind="visitor", external_id=subject, events=events,
        context=EventContext(notice_version="2026-01-01", country=country, property_key=property_key, language=language),
        rules=runtime().rules, now=at,
    )
    db.session.commit()
