"""One identifier, one subject: width forms folded, NFC, an email's domain lowercased, wherever an id comes in."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from consent_service.consents.schemas import SubjectRefSchema, plain_check_request
from consent_service.extensions import db
from consent_service.subjects.identifiers import canonical
from consent_service.subjects.models import Subject

NFC = unicodedata.normalize("NFC", "Zoë-Renée")
NFD = unicodedata.normalize("NFD", NFC)
GRANT = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}], "notice_version": "v1"}


@pytest.fixture
def writer(auth):
    return auth("consents:read", "consents:write", "subjects:erase")


def allowed(client, headers, subject_id: str) -> bool:
    body = {"subject": {"kind": "customer", "id": subject_id}, "purposes": ["marketing"], "country": "DE"}
    answer = client.post("/v1/checks", json=body, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["decisions"]["marketing"]["allowed"]


def stored_ids() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(Subject.external_id)))


@pytest.mark.parametrize(("written", "asked"), [
    ("Ａｌｉｃｅ", "Alice"),  # fullwidth forms
    (NFD, NFC),  # decomposed and composed accents
    ("Jane.Doe@Example.COM", "Jane.Doe@example.com"),  # an email's domain is case-insensitive
    ("ｶﾀｶﾅ", "カタカナ"),  # halfwidth katakana
])
def test_spellings_of_one_identifier_are_one_subject(client, writer, written, asked):
    recorded = client.post(f"/v1/subjects/customer/{quote(written)}/consent-events", json=GRANT, headers=writer)
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["subject"]["id"] == asked
    assert allowed(client, writer, asked) and allowed(client, writer, written)
    state = client.get(f"/v1/subjects/customer/{quote(asked)}/consents", headers=writer)
    assert state.json["consents"]["marketing"]["allowed"] is True
    assert stored_ids() == [asked]


def test_an_emails_local_part_keeps_its_case(client, writer):
    assert client.post("/v1/subjects/customer/Jane@example.com/consent-events", json=GRANT, headers=writer).status_code == 201
    assert allowed(client, writer, "Jane@EXAMPLE.com") and not allowed(client, writer, "jane@example.com")


def test_erasure_and_links_use_the_same_spelling(client, writer, clock):
    client.post("/v1/subjects/customer/Erase-Me@Example.com/consent-events", json=GRANT, headers=writer)
    links = client.post("/v1/preference-links", json={"customer_id": "Ｅrase-Me@EXAMPLE.COM"}, headers=writer)
    assert links.status_code == 200, links.json
    page = urlsplit(links.json["url"]).path
    assert client.get(page).status_code == 200
    clock.advance(seconds=5)
    erased = client.delete(f"/v1/subjects/customer/{quote('Erase-Me@example.COM')}", headers=writer)
    assert erased.status_code == 200 and erased.json["done"]["subjects_pseudonymized"] == 1
    assert client.get(page).status_code == 410
    assert not any("rase-" in external_id for external_id in stored_ids())


def test_the_plain_check_load_and_the_schema_agree():
    for raw in ("Ａlice", NFD, "a@B.c", "plain-id", "x@y@Z"):
        plain = plain_check_request({"subject": {"kind": "customer", "id": raw}, "purposes": ["marketing"]})
        assert plain["subject"]["id"] == SubjectRefSchema().load({"kind": "customer", "id": raw})["id"] == canonical(raw)


def test_canonical_rules():
    assert canonical("Ａlice") == "Alice" and canonical("a\u3000b") == "a b"
    assert canonical(NFD) == NFC and canonical(NFC) == NFC
    assert canonical("Jane@Example.COM") == "Jane@example.com" and canonical("x@y@Z.io") == "x@y@z.io"
    assert canonical("Cust-ABC") == "Cust-ABC"  # case outside an email's domain is the operator's
    assert canonical("ﬁle①") == "ﬁle①"  # other compatibility characters are left as they are
    for value in ("Ａlice", NFD, "Jane@Example.COM", "ｶﾀｶﾅ"):
        assert canonical(canonical(value)) == canonical(value)


def test_subjects_stored_in_another_spelling_are_listed_not_rewritten(app, client, writer, clock):
    from consent_service.subjects import service as subjects

    client.post("/v1/subjects/customer/Alice/consent-events", json=GRANT, headers=writer)
    for legacy in ("Ａlice", "Bob@Example.com"):  # as an older version stored them
        subjects.lock(session=db.session, kind="customer", external_id=legacy, now=clock())
    db.session.commit()
    ids = dict(db.session.execute(select(Subject.external_id, Subject.id)).all())

    result = app.test_cli_runner().invoke(args=["subjects", "non-canonical"])

    assert result.exit_code == 1, result.output
    assert f"subject {ids['Ａlice']} (customer) (the canonical spelling is another subject)" in result.output
    assert f"subject {ids['Bob@Example.com']} (customer)\n" in result.output
    assert "2 subject(s)" in result.output and "Alice" not in result.output and "Bob" not in result.output
    assert stored_ids() == sorted(["Alice", "Ａlice", "Bob@Example.com"])
