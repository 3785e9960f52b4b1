"""The mails a person gets about a privacy request: the confirmation link and the outcome, in en, de and fr."""
from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser

import re

import pytest

from consent_service.mail.service import Mail
from consent_service.privacy_requests import mails
from consent_service.privacy_requests.models import PrivacyRequest

RECEIVED = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
URL = "http://consent.test/privacy-requests/verify/abc.def.ghi"
STATUS_URL = "http://consent.test/privacy-requests/status/abc.def.ghi"


def request(**fields) -> PrivacyRequest:
    values = dict(
        id="pr_test1", property_key=None, type="deletion", status="unverified", verification="email",
        subject_kind="customer", subject_id="ada@example.com", contact="ada@example.com", language="en",
        country="DE", region=None, law="gdpr", channel="web", details={}, agent=None, received_at=RECEIVED,
        verified_at=None, due_at=RECEIVED, extended=False, closed_at=None, outcome=None, updated_at=RECEIVED,
    )
    return PrivacyRequest(**{**values, **fields})


class Text(HTMLParser):
    """The text and links of an HTML part, to compare with the plain text part."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.links = [], []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            self.links.append(dict(attrs)["href"])


def html_text(mail: Mail) -> Text:
    parser = Text()
    parser.feed(mail.html)
    return parser


EXPECTED = {
    "en": ("Please confirm your privacy request", "Deletion of your data", "16 January 2026, 09:30 UTC"),
    "de": ("Bitte bestätigen Sie Ihre Datenschutzanfrage", "Löschung Ihrer Daten", "16. Januar 2026, 09:30 UTC"),
    "fr": ("Veuillez confirmer votre demande relative à vos données", "L’effacement de vos données", "16 janvier 2026, 09:30 UTC"),
}


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_verification_mail_names_the_request_the_link_and_when_it_expires(language):
    subject, kind, expires = EXPECTED[language]
    mail = mails.verification_mail(
        to="ada@example.com", language=language, request=request(language=language), url=URL,
        expires_at=datetime(2026, 1, 16, 9, 30, tzinfo=timezone.utc),
    )
    assert (mail.to, mail.subject) == ("ada@example.com", subject)
    for part in (kind, "pr_test1", URL, expires):
        assert part in mail.text
    assert html_text(mail).links == [URL]
    assert f'<html lang="{language}">' in mail.html
    # Both parts say the same: every line of text is in the HTML (bar the indentation of the facts).
    shown = "".join(html_text(mail).text)
    for line in filter(None, (line.strip() for line in mail.text.splitlines())):
        assert all(piece.strip() in shown for piece in re.split(r" ?: ", line)), line


def test_an_objection_says_what_it_objects_to_and_an_agents_request_names_the_agent():
    filed = request(type="objection", details={"objection": "direct_marketing"},
                    agent={"name": "Bea <Agent>", "email": "bea@agency.example", "declaration": True})
    mail = mails.verification_mail(to="ada@example.com", language="de", request=filed, url=URL, expires_at=RECEIVED)
    assert "Widerspruch gegen eine Verwendung Ihrer Daten: Direktwerbung" in mail.text
    assert "Sie wurde in Ihrem Namen von Bea <Agent> gestellt." in mail.text
    assert "Bea &lt;Agent&gt;" in mail.html and "<Agent>" not in mail.html  # escaped, never markup


def test_a_completed_access_request_points_to_the_copy_of_the_data():
    done = request(type="access", status="completed", closed_at=RECEIVED)
    mail = mails.outcome_mail(to="ada@example.com", language="en", request=done, status_url=STATUS_URL)
    assert mail.subject == "Your privacy request is complete"
    assert "We have completed your request." in mail.text and "Request: A copy of your data" in mail.text
    assert "download a copy of your data" in mail.text
    assert html_text(mail).links == [STATUS_URL]


def test_a_refusal_gives_its_reason_in_the_persons_language():
    refused = request(status="refused", outcome="Legal hold: tax records (HGB § 257).", language="fr")
    mail = mails.outcome_mail(to="ada@example.com", language="fr", request=refused, status_url=STATUS_URL)
    assert mail.subject == "Votre demande relative à vos données a été refusée"
    assert "Legal hold: tax records (HGB § 257)." in mail.text
    assert "  Demande : L’effacement de vos données\n" in mail.text  # French puts a space before the colon
    assert "copie de vos données" not in mail.text
    assert STATUS_URL in mail.text
