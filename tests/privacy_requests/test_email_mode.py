"""Email verification mode: the link and the outcome go to the person through the outbox and SMTP_URL (a loopback
server here); the closed request keeps no address."""
from __future__ import annotations

import re

from consent_service.apikeys import service as apikeys
from consent_service.extensions import db
from consent_service.flows.verify_privacy_request import verify_privacy_request
from consent_service.mail import service as mail
from consent_service.mail.models import OutgoingMail
from consent_service.mail.transport import SmtpTransport
from consent_service.privacy_requests import service as privacy_requests
from consent_service.runtime import app_signer, runtime
from tests import run_logs


def send(clock) -> int:
    transport = SmtpTransport.from_settings(runtime().settings)
    assert transport is not None
    return mail.send_due(session_factory=db.session, transport=transport, now=clock())


def test_the_link_and_the_outcome_are_mailed_and_the_address_is_dropped_once_closed(app_with, clock, smtp_server):
    app = app_with(smtp_url=smtp_server.url, smtp_from="privacy@example.com")
    with app.app_context():
        assert runtime().settings.privacy_request_verification == "email"
        _, key = apikeys.create_key(session=db.session, name="ops", scopes=["admin"], now=clock())
        db.session.commit()
        run_logs.remember_secret("api_key", key)
        filed = app.test_client().post("/v1/privacy-requests", headers={"Authorization": f"Bearer {key}"}, json={
            "type": "access", "subject": {"kind": "customer", "id": "c-1"}, "country": "DE", "verified": False,
            "contact": "ana@example.com", "language": "de"})
        assert filed.status_code == 201 and filed.json["verification"] == "email"
        assert db.session.query(OutgoingMail).one().to == "ana@example.com"

        assert send(clock) == 1
        smtp_server.wait_for(1, timeout=10)
        body = smtp_server.messages[0].get_body(("plain",)).get_content()
        assert smtp_server.messages[0]["To"] == "ana@example.com"
        assert re.search(r"/privacy-requests/verify/[\w.-]+", body)

        settings = runtime().settings
        verified = verify_privacy_request(
            session=db.session, rules=runtime().rules, settings=settings, signer=app_signer(),
            base_url=settings.token_issuer, request_id=filed.json["id"], pepper=settings.erasure_pepper,
            now=clock.advance(minutes=10))
        assert verified.status == "completed" and verified.contact is None
        steps = privacy_requests.steps_of(session=db.session, request_id=verified.id)
        assert steps[-1].action == "outcome_sent" and steps[-1].details == {"by": "email"}
        assert send(clock) == 1
        smtp_server.wait_for(2, timeout=10)
        assert "/privacy-requests/status/" in smtp_server.messages[1].get_body(("plain",)).get_content()
        db.session.remove()


def test_email_mode_without_smtp_url_refuses_to_start_and_webhook_mode_is_the_default_without_it(
        database_url, app_with):
    import pytest

    from consent_service import create_app
    from consent_service.config import ConfigError
    from tests.conftest import settings_for

    with pytest.raises(ConfigError, match="PRIVACY_REQUEST_VERIFICATION=email .* SMTP_URL"):
        create_app(settings_for(database_url, privacy_request_verification="email"))
    with pytest.raises(ConfigError, match="PRIVACY_REQUEST_VERIFICATION must be email or webhook"):
        create_app(settings_for(database_url, privacy_request_verification="post"))
    assert app_with().extensions["consent_service"].settings.privacy_request_verification == "webhook"
