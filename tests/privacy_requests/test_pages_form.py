"""The public privacy request form: shown in the reader's language, filed without revealing whether the identifier
is known, refused with a localized page (and nothing stored) when it cannot be filed, rate limited on its POST."""
from __future__ import annotations

import re

import pytest

from consent_service.extensions import db
from consent_service.mail.models import OutgoingMail
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep
from consent_service.properties import service as properties
from tests.privacy_requests.page_fixtures import (  # noqa: F401  (fixtures)
    MAILING,
    count,
    csrf,
    file,
    form_for,
    mailing,
    prop,
    requests,
    steps,
    text,
    webhooking,
)

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
TITLES = {"en": "Make a privacy request", "de": "Eine Datenschutzanfrage stellen", "fr": "Faire une demande relative à vos données"}
SENT = {"en": "Check your messages", "de": "Sehen Sie in Ihren Nachrichten nach", "fr": "Consultez vos messages"}


def nothing_stored() -> bool:
    return count(PrivacyRequest) == 0 and count(PrivacyRequestStep) == 0 and count(OutgoingMail) == 0


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_form_is_shown_in_the_asked_language_without_any_script(mailing, prop, language):
    page = mailing.get(f"/privacy-requests/{prop.publishable_key}?lang={language}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert f'<html lang="{language}">' in body and TITLES[language] in body
    assert "<script" not in body and not re.search(r"\son[a-z]+=", body)  # no script, no handlers
    assert {name: page.headers[name] for name in PAGE_HEADERS} == PAGE_HEADERS
    # Every field has its label; the radio groups their legend.
    for field in ("identifier", "jurisdiction", "correction", "on_behalf", "agent_name", "agent_email", "agent_declaration"):
        assert f'<label for="{field}">' in body and f'id="{field}"' in body, field
    assert body.count("<legend>") == 4 and 'type="email" autocomplete="email"' in body
    assert 'name="viewport" content="width=device-width' in body


def test_the_language_is_the_query_then_the_browser_then_the_property_default(client, prop, clock):
    german = properties.create_property(
        session=db.session, name="Laden", allowed_origins=["https://laden.example"], notice_version="2026-01-01",
        notice_url="https://laden.example/datenschutz", default_language="de", now=clock(),
    )
    db.session.commit()
    assert '<html lang="de">' in text(client.get(f"/privacy-requests/{german.publishable_key}"))
    assert '<html lang="fr">' in text(client.get(f"/privacy-requests/{german.publishable_key}", headers={"Accept-Language": "fr-CH, de"}))
    assert '<html lang="en">' in text(client.get(f"/privacy-requests/{german.publishable_key}?lang=en", headers={"Accept-Language": "fr"}))


def test_an_unknown_property_is_a_localized_not_found_page(client):
    page = client.get("/privacy-requests/pk_nobody", headers={"Accept-Language": "de"})
    assert page.status_code == 404 and "Diese Seite gibt es nicht" in text(page)


def test_the_jurisdiction_defaults_to_where_the_cdn_places_the_request(app_with, prop):
    client = app_with(country_header="CF-IPCountry", region_header="CloudFront-Viewer-Country-Region").test_client()
    page = text(client.get(f"/privacy-requests/{prop.publishable_key}?lang=de", headers={"CF-IPCountry": "US", "CloudFront-Viewer-Country-Region": "CA"}))
    assert '<option value="US-CA" selected>Kalifornien</option>' in page
    assert '<optgroup label="Vereinigte Staaten">' in page
    page = text(client.get(f"/privacy-requests/{prop.publishable_key}", headers={"CF-IPCountry": "DE"}))
    assert '<option value="DE" selected>Germany</option>' in page
    page = text(client.get(f"/privacy-requests/{prop.publishable_key}"))
    assert '<option value="" selected>' in page  # nothing known: the person chooses


def test_known_and_unknown_identifiers_get_the_same_page(mailing, prop, auth):
    writer = auth("consents:write")
    event = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": "2026-01-01", "country": "DE"}
    assert mailing.post("/v1/subjects/customer/known@example.com/consent-events", json=event, headers=writer).status_code == 201
    known = file(mailing, prop.publishable_key, identifier="known@example.com", type="deletion")
    unknown = file(mailing, prop.publishable_key, identifier="nobody@example.com", type="deletion")
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert {k: v for k, v in known.headers if k != "X-Request-ID"} == {k: v for k, v in unknown.headers if k != "X-Request-ID"}
    assert "Check your messages" in text(known) and "16 January 2026, 09:30 UTC" in text(known)  # the link's day
    # Both were filed and both got their verification mail; neither ran.
    assert sorted((r.subject_id, r.status, r.contact) for r in requests()) == [
        ("known@example.com", "unverified", "known@example.com"), ("nobody@example.com", "unverified", "nobody@example.com")]
    assert count(OutgoingMail) == 2
    assert all(steps(r.id) == ["received", "verification_sent"] for r in requests())


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_received_page_and_its_mail_speak_the_persons_language(mailing, prop, language):
    page = file(mailing, prop.publishable_key, lang=language, identifier=" Ada@Example.COM ")
    assert page.status_code == 200 and SENT[language] in text(page) and f'<html lang="{language}">' in text(page)
    (filed,) = requests()
    assert (filed.subject_id, filed.language, filed.country, filed.channel) == ("Ada@example.com", language, "DE", "web")
    subject = db.session.scalar(db.select(OutgoingMail.subject))
    assert subject == {"en": "Please confirm your privacy request", "de": "Bitte bestätigen Sie Ihre Datenschutzanfrage",
                       "fr": "Veuillez confirmer votre demande relative à vos données"}[language]


def test_webhook_mode_takes_a_customer_id_and_says_the_operator_will_write(webhooking, prop):
    page = file(webhooking, prop.publishable_key, identifier="C-1042", jurisdiction="US-CA")
    assert page.status_code == 200
    assert "to the contact details we hold for you" in text(page)
    assert 'type="email"' not in text(webhooking.get(f"/privacy-requests/{prop.publishable_key}")).split('id="identifier"')[0][-300:]
    (filed,) = requests()
    assert (filed.subject_id, filed.contact, filed.verification, filed.country, filed.region, filed.law) == (
        "C-1042", None, "webhook", "US", "US-CA", "ccpa")


def test_an_opt_out_of_sale_is_done_at_once(mailing, prop):
    page = file(mailing, prop.publishable_key, type="opt_out_of_sale", jurisdiction="US-CA")
    assert page.status_code == 200 and "Your opt-out is recorded" in text(page)
    (filed,) = requests()
    assert filed.verification == "not_required" and filed.status == "completed"
    assert "verification_sent" not in steps(filed.id)


def test_an_agent_files_with_the_declaration(mailing, prop):
    agent = {"on_behalf": "yes", "agent_name": "Bea Agent", "agent_email": "bea@agency.example", "agent_declaration": "yes"}
    assert file(mailing, prop.publishable_key, **agent).status_code == 200
    (filed,) = requests()
    assert filed.agent == {"name": "Bea Agent", "email": "bea@agency.example", "declaration": True}
    assert filed.contact == "ada@example.com"  # the person confirms, not the agent


@pytest.mark.parametrize("language, summary", [("en", "There is a problem"), ("de", "Es gibt ein Problem"), ("fr", "Il y a un problème")])
def test_bad_input_shows_the_form_again_with_its_errors_and_stores_nothing(mailing, prop, language, summary):
    page = file(mailing, prop.publishable_key, lang=language, type="correction", identifier="not an address", jurisdiction="US",
                correction="", on_behalf="yes", agent_name="Bea")
    assert page.status_code == 422
    body = text(page)
    assert summary in body and f'<html lang="{language}">' in body
    for anchor in ("#correction", "#identifier", "#jurisdiction", "#agent_email", "#agent_declaration"):
        assert f'<a href="{anchor}">' in body, anchor
    assert 'value="not an address"' in body and 'value="Bea"' in body  # what was typed stays
    assert re.search(r'id="identifier"[^>]*aria-describedby="identifier-hint identifier-error" aria-invalid="true"', body)
    assert 'id="type-correction" value="correction" aria-describedby="type-correction-hint" checked' in body
    assert nothing_stored()


def test_a_form_from_elsewhere_is_refused_and_stores_nothing(mailing, prop):
    data = form_for(mailing, prop.publishable_key)
    forged = mailing.post(f"/privacy-requests/{prop.publishable_key}", data={**data, "csrf_token": "forged"})
    assert forged.status_code == 403 and "This form could not be sent" in text(forged)
    cross_site = mailing.post(f"/privacy-requests/{prop.publishable_key}", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    other = properties.create_property(
        session=db.session, name="Other", allowed_origins=["https://other.example"], notice_version="2026-01-01",
        notice_url="https://other.example/privacy", now=prop.created_at,
    )
    db.session.commit()
    # A token of one property's page does not file at another's.
    assert mailing.post(f"/privacy-requests/{other.publishable_key}", data=data).status_code == 403
    assert nothing_stored()


def test_posts_are_limited_per_address_with_a_localized_page(app_with, prop):
    client = app_with(**MAILING, privacy_request_rate_limit_per_ip="2 per hour").test_client()
    for index in range(2):
        assert file(client, prop.publishable_key, identifier=f"p{index}@example.com").status_code == 200
    limited = file(client, prop.publishable_key, lang="fr", identifier="p3@example.com")
    assert limited.status_code == 429 and "Trop de demandes" in text(limited)
    assert int(limited.headers["Retry-After"]) > 0
    assert count(PrivacyRequest) == 2
    # The form itself is still shown: only its POST counts.
    assert client.get(f"/privacy-requests/{prop.publishable_key}").status_code == 200


def test_posts_are_limited_per_identifier_counted_under_a_keyed_hash(app_with, prop):
    app = app_with(**MAILING, privacy_request_rate_limit_per_identifier="2 per day")
    client = app.test_client()
    assert file(client, prop.publishable_key, identifier="ada@example.com").status_code == 200
    assert file(client, prop.publishable_key, identifier="ADA@example.com ").status_code == 200  # the same address
    limited = file(client, prop.publishable_key, identifier="Ada@Example.com")
    assert limited.status_code == 429 and "Too many requests" in text(limited)
    assert file(client, prop.publishable_key, identifier="bea@example.com").status_code == 200
    assert count(PrivacyRequest) == 3
    # Bad input spends nothing of the identifier's allowance.
    assert file(client, prop.publishable_key, identifier="bea@example.com", jurisdiction="").status_code == 422
    assert file(client, prop.publishable_key, identifier="bea@example.com").status_code == 200
    # The limiter's storage never holds the address, only an HMAC of it.
    storage = app.extensions["consent_service.limiter"].storage
    stored = repr(storage.events) + repr(storage.storage)  # moving windows keep their hits in `events`
    assert "privacy-request-identifier" in stored and "example.com" not in stored


PAGES = {
    "en": ("Your opt-out is recorded", "Too many requests", "This page does not exist", "This form could not be sent"),
    "de": ("Ihr Widerspruch gegen Verkauf und Weitergabe ist erfasst", "Zu viele Anfragen", "Diese Seite gibt es nicht",
           "Das Formular konnte nicht gesendet werden"),
    "fr": ("Votre opposition est enregistrée", "Trop de demandes", "Cette page n’existe pas", "Ce formulaire n’a pas pu être envoyé"),
}


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_every_answer_of_the_form_speaks_the_readers_language(app_with, prop, language):
    done, limited, missing, forged = PAGES[language]
    client = app_with(**MAILING, privacy_request_rate_limit_per_ip="2 per hour").test_client()
    answers = [
        (file(client, prop.publishable_key, lang=language, type="opt_out_of_sale"), 200, done),
        (client.post(f"/privacy-requests/{prop.publishable_key}?lang={language}", data={}), 403, forged),
        (file(client, prop.publishable_key, lang=language), 429, limited),
        (client.get(f"/privacy-requests/pk_nobody?lang={language}"), 404, missing),
    ]
    for page, status, title in answers:
        body = text(page)
        assert (page.status_code, f'<html lang="{language}">') == (status, body.split("\n")[1]), title
        assert f"<h1>{title}</h1>" in body
