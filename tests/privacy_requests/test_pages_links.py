"""The pages behind the signed links: confirming a request (a GET never acts), its status in the person's language,
the receipt and the copy of the data; tampered and expired links refused with localized pages."""
from __future__ import annotations

import json
import re

import jwt
import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep
from consent_service.privacy_requests.pages import FORM_SALT
from tests.privacy_requests.page_fixtures import (  # noqa: F401  (fixtures)
    MAILING,
    UNLIMITED,
    count,
    csrf,
    file,
    mailed_link,
    mailing,
    prop,
    reread,
    requests,
    steps,
    tampered,
    text,
)

STATUS = {"en": "Your privacy request", "de": "Ihre Datenschutzanfrage", "fr": "Votre demande relative à vos données"}
CONFIRM = {"en": "Confirm your request", "de": "Bestätigen Sie Ihre Anfrage", "fr": "Confirmez votre demande"}
EXPIRED = {"en": "This link has expired", "de": "Dieser Link ist abgelaufen", "fr": "Ce lien a expiré"}


@pytest.fixture
def filed(mailing, prop):
    """filed(lang=..., **form) -> (request, the path of its verification link)."""

    def make(lang="en", identifier="ada@example.com", **fields):
        before = {request.id for request in requests()}
        assert file(mailing, prop.publishable_key, lang=lang, identifier=identifier, **fields).status_code == 200
        (new,) = [request for request in requests() if request.id not in before]
        return new, mailed_link(identifier)

    return make


def confirm(client, link):
    page = client.get(link)
    return client.post(link, data={"csrf_token": csrf(page)})


def status_of(page) -> str:
    """The status page's own link (what the person keeps), as the page after confirming shows it."""
    return re.search(r'href="(/privacy-requests/status/[A-Za-z0-9_.\-]+)"', text(page)).group(1)


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_link_shows_a_confirm_button_and_a_get_changes_nothing(mailing, filed, language):
    request, link = filed(lang=language, type="deletion")
    before = count(PrivacyRequestStep)
    for _ in range(3):  # a mail scanner, a preview, the person
        page = mailing.get(link)
        assert page.status_code == 200
    body = text(page)
    assert f'<html lang="{language}">' in body and CONFIRM[language] in body and request.id in body
    assert '<form method="post"' in body and "<script" not in body
    assert count(PrivacyRequestStep) == before and reread(request.id).status == "unverified"


def test_the_post_runs_the_request_and_leads_to_its_status(mailing, filed, auth):
    writer = auth("consents:write", "consents:read")
    event = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": "2026-01-01", "country": "DE"}
    assert mailing.post("/v1/subjects/customer/ada@example.com/consent-events", json=event, headers=writer).status_code == 201
    request, link = filed(lang="de", type="deletion")
    token = csrf(mailing.get(link))
    confirmed = mailing.post(link, data={"csrf_token": token})
    assert confirmed.status_code == 200 and "Erledigt" in text(confirmed)
    status_path = status_of(confirmed)
    done = reread(request.id)
    assert done.status == "completed" and done.subject_id != "ada@example.com"  # erased: a pseudonym now
    assert steps(done.id)[:4] == ["received", "verification_sent", "verified", "own_part_done"]
    check = {"subject": {"kind": "customer", "id": "ada@example.com"}, "purposes": ["marketing"]}
    assert mailing.post("/v1/checks", json=check, headers=writer).json["decisions"]["marketing"]["reason"] == "suppressed"
    page = mailing.get(status_path)
    body = text(page)
    assert page.status_code == 200 and '<html lang="de">' in body  # the request's language
    assert "Erledigt" in body and "Löschung Ihrer Daten" in body and "Anfrage bestätigt" in body
    assert "ada@example.com" not in body
    # A second confirmation changes nothing; the link now leads to the status.
    before = steps(done.id)
    assert mailing.post(link, data={"csrf_token": token}).status_code == 200
    assert mailing.get(link).status_code == 303 and mailing.get(link).headers["Location"].startswith("/privacy-requests/status/")
    assert steps(done.id) == before


def test_an_unconfirmed_request_never_runs(mailing, filed, auth):
    writer = auth("consents:write", "consents:read")
    event = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": "2026-01-01", "country": "DE"}
    mailing.post("/v1/subjects/customer/ada@example.com/consent-events", json=event, headers=writer)
    request, link = filed(type="deletion")
    # Without the page's token the POST is refused and nothing runs.
    assert mailing.post(link, data={}).status_code == 403
    assert mailing.post(link, data={"csrf_token": "x"}).status_code == 403
    assert reread(request.id).status == "unverified"
    check = {"subject": {"kind": "customer", "id": "ada@example.com"}, "purposes": ["marketing"]}
    assert mailing.post("/v1/checks", json=check, headers=writer).json["decisions"]["marketing"]["allowed"] is True


@pytest.mark.parametrize("language, title", [("en", "This link is not valid"), ("de", "Dieser Link ist ungültig"), ("fr", "Ce lien n’est pas valide")])
def test_a_tampered_link_is_a_localized_not_found_page(mailing, filed, language, title):
    request, link = filed()
    for path in (tampered(link), tampered(link).replace("/verify/", "/status/"), link.replace("/verify/", "/status/")):
        page = mailing.get(path, headers={"Accept-Language": language})
        assert page.status_code == 404 and title in text(page) and f'<html lang="{language}">' in text(page), path
    assert mailing.post(tampered(link), data={}).status_code == 404
    assert reread(request.id).status == "unverified"


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_an_expired_link_is_gone_in_the_links_language(mailing, filed, clock, language):
    request, link = filed(lang=language)
    clock.advance(days=1, seconds=1)
    page = mailing.get(link, headers={"Accept-Language": "en" if language != "en" else "de"})
    assert page.status_code == 410 and EXPIRED[language] in text(page) and f'<html lang="{language}">' in text(page)
    page = mailing.post(link, data={"csrf_token": "whatever"})
    assert page.status_code == 410 and reread(request.id).status == "unverified"


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_the_status_page_of_a_completed_access_request_offers_the_export(mailing, filed, auth, language):
    writer = auth("consents:write")
    event = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": "2026-01-01", "country": "DE"}
    assert mailing.post("/v1/subjects/customer/ada@example.com/consent-events", json=event, headers=writer).status_code == 201
    request, link = filed(lang=language, type="access", jurisdiction="US-CA")
    status_path = status_of(confirm(mailing, link))
    page = mailing.get(status_path)
    body = text(page)
    assert STATUS[language] in body and "CCPA" in body
    export_path = re.search(r'href="(/privacy-requests/status/[^"]+/export)"', body).group(1)
    receipt_path = re.search(r'href="(/privacy-requests/status/[^"]+/receipt)"', body).group(1)
    download = mailing.get(export_path)
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{request.id}-data.json"'
    exported = json.loads(download.data)
    assert exported["subject"]["id"] == "ada@example.com" and exported["events"][0]["purpose"] == "marketing"
    assert steps(request.id)[-1] == "downloaded"
    receipt = mailing.get(receipt_path)
    assert receipt.status_code == 200 and receipt.headers["Content-Disposition"] == f'attachment; filename="{request.id}-receipt.jwt"'
    jwks = mailing.get("/.well-known/jwks.json").json
    header = jwt.get_unverified_header(receipt.data.decode())
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(receipt.data.decode(), key=key, algorithms=["EdDSA"], options={"verify_aud": False})
    assert claims["request"] == request.id and claims["status"] == "completed"


def test_the_export_is_offered_only_for_a_completed_access_request(mailing, filed):
    request, link = filed(type="restriction")
    status_path = status_of(confirm(mailing, link))
    assert "/export" not in text(mailing.get(status_path))
    refused = mailing.get(status_path + "/export?lang=fr")
    assert refused.status_code == 409 and "Non disponible" in text(refused)
    assert "downloaded" not in steps(request.id)


def test_an_export_of_nobody_says_that_nothing_is_held(mailing, filed):
    request, link = filed(identifier="nobody@example.com", type="access")
    status_path = status_of(confirm(mailing, link))
    page = mailing.get(status_path + "/export")
    assert page.status_code == 404 and "We hold no data about you" in text(page)


def test_a_refusal_shows_its_reason_on_the_status_page(mailing, filed, auth, app_with):
    # Confirmed on an app whose operator has another system that must report back (same database).
    systems = app_with(**MAILING, **UNLIMITED, privacy_request_systems=("crm",)).test_client()
    admin = auth("admin")
    request, link = filed(type="correction", correction="My name is Ada Lovelace.")
    status_path = status_of(confirm(systems, link))
    body = text(systems.get(status_path))
    assert "In progress" in body and "crm" in body and "Pending" in body
    refused = systems.patch(f"/v1/privacy-requests/{request.id}", json={"action": "refuse", "reason": "We cannot verify the new name."}, headers=admin)
    assert refused.status_code == 200, refused.json
    body = text(systems.get(status_path))
    assert "Refused" in body and "We cannot verify the new name." in body and "Request refused" in body


def test_the_forms_token_is_bound_to_its_request(mailing, filed):
    first, first_link = filed(identifier="ada@example.com")
    second, second_link = filed(identifier="bea@example.com")
    token = csrf(mailing.get(first_link))
    assert mailing.post(second_link, data={"csrf_token": token}).status_code == 403
    assert reread(second.id).status == "unverified"
    # Nor does a preference page's token confirm a request: the forms have salts of their own.
    assert FORM_SALT != "consent-service.preferences.csrf"


def test_an_agents_request_is_filed_by_the_agent_and_confirmed_by_the_person(mailing, filed):
    agent = {"on_behalf": "yes", "agent_name": "Bea Agent", "agent_email": "bea@agency.example", "agent_declaration": "yes"}
    request, link = filed(type="access", **agent)  # the link went to the person's own address
    mailing.post(link, data={"csrf_token": csrf(mailing.get(link))})
    db.session.expire_all()
    actors = dict(db.session.execute(
        select(PrivacyRequestStep.action, PrivacyRequestStep.actor).where(PrivacyRequestStep.request_id == request.id)
    ).all())
    assert (actors["received"], actors["verified"]) == ("agent", "person")
