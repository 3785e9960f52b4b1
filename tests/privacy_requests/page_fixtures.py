"""What the privacy request page tests share: apps in either verification mode, a property, the form, the outbox."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.mail.models import OutgoingMail
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep
from consent_service.properties import service as properties

MAILING = {"smtp_url": "smtp://127.0.0.1:2525", "smtp_from": "privacy@shop.example"}
# Generous limits, so tests that are not about them never meet them.
UNLIMITED = {"privacy_request_rate_limit_per_ip": "1000 per hour", "privacy_request_rate_limit_per_identifier": "1000 per day"}
LINK = re.compile(r"http://consent\.test(/privacy-requests/(?:verify|status)/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def prop(app, clock):
    created = properties.create_property(
        session=db.session, name="Shop", allowed_origins=["https://shop.example"], notice_version="2026-01-01",
        notice_url="https://shop.example/privacy", now=clock(),
    )
    db.session.commit()
    return created


@pytest.fixture
def mailing(app_with):
    """A client of an app that verifies by email (SMTP_URL set; the outbox is only written, never sent here)."""
    return app_with(**MAILING, **UNLIMITED).test_client()


@pytest.fixture
def webhooking(app_with):
    """A client of an app that hands verification links to the operator's mailer (no SMTP_URL)."""
    return app_with(**UNLIMITED).test_client()


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def form_for(client, pk: str, **fields) -> dict[str, str]:
    """A filled form, with the token of a freshly shown page."""
    token = csrf(client.get(f"/privacy-requests/{pk}"))
    return {"csrf_token": token, "type": "access", "identifier": "ada@example.com", "jurisdiction": "DE", **fields}


def file(client, pk: str, lang: str = "en", **fields):
    return client.post(f"/privacy-requests/{pk}?lang={lang}", data=form_for(client, pk, **fields))


def fresh() -> None:
    db.session.rollback()  # read what the requests committed, not a stale snapshot


def count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model))


def requests() -> list[PrivacyRequest]:
    fresh()
    return list(db.session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.received_at, PrivacyRequest.id)))


def reread(request_id: str) -> PrivacyRequest:
    fresh()
    return db.session.get(PrivacyRequest, request_id)


def steps(request_id: str) -> list[str]:
    fresh()
    query = select(PrivacyRequestStep.action).where(PrivacyRequestStep.request_id == request_id)
    return list(db.session.scalars(query.order_by(PrivacyRequestStep.id)))


def mailed_link(to: str) -> str:
    """The path of the last link mailed to `to` (from the outbox, where the worker would pick it up)."""
    fresh()
    body = db.session.scalars(select(OutgoingMail.body_text).where(OutgoingMail.to == to).order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc())).first()
    return LINK.search(body).group(1)


def tampered(path: str) -> str:
    token = path.rsplit("/", 1)[1]
    middle = len(token) // 2
    return path.rsplit("/", 1)[0] + "/" + token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


def path_of(url: str) -> str:
    return urlsplit(url).path


def text(page) -> str:
    return page.get_data(as_text=True)
