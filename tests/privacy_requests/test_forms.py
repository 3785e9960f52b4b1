"""The public form as sent: normalized, checked field by field, and the places a person can live in."""
from __future__ import annotations

import pytest

from consent_service.privacy_requests import forms
from consent_service.privacy_requests.jurisdictions import Place, PlaceGroup, Places
from consent_service.vocabulary import RequestType, Verification

PLACES = Places({"US", "CA"})


def read(verification=Verification.EMAIL, **fields):
    form = {"type": "access", "identifier": "ada@example.com", "jurisdiction": "DE", **fields}
    return forms.read({k: v for k, v in form.items() if v is not None}, verification=verification, places=PLACES)


def test_an_email_is_spelled_as_the_api_stores_customer_ids_and_is_where_the_person_is_answered():
    # The domain is lower-cased, the local part kept: the same subject as `Ada.Lovelace@example.com` in the API,
    # so a deletion erases the subject the operator recorded, not a look-alike.
    filed = read(identifier="  Ada.Lovelace@Example.COM \n").filed
    assert filed.identifier == filed.contact == "Ada.Lovelace@example.com"
    assert (filed.type, filed.country, filed.region, filed.details, filed.agent) == (RequestType.ACCESS, "DE", None, {}, None)


@pytest.mark.parametrize("identifier", ["ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@example.com",
                                        "<ada@example.com>", "ada@example.com\x00", "x" * 250 + "@example.com"])
def test_an_identifier_that_is_not_an_email_is_refused_in_email_mode(identifier):
    reading = read(identifier=identifier)
    assert reading.filed is None and reading.errors == {"identifier": "error_identifier_invalid_email"}


def test_webhook_mode_takes_a_customer_id_as_given_and_answers_through_the_operator():
    filed = read(Verification.WEBHOOK, identifier="  C-1042 ").filed
    assert filed.identifier == "C-1042" and filed.contact is None
    assert read(Verification.WEBHOOK, identifier="x" * 256).errors == {"identifier": "error_identifier_too_long"}
    assert read(Verification.WEBHOOK, identifier="c\u202e1").errors == {"identifier": "error_identifier_invalid"}
    assert read(Verification.WEBHOOK, identifier=" ").errors == {"identifier": "error_identifier_required_webhook"}


def test_a_region_of_a_split_country_is_chosen_instead_of_the_country():
    filed = read(jurisdiction="US-CA").filed
    assert (filed.country, filed.region) == ("US", "US-CA")
    for value in ("US", "XX", "", "DE-BY", "us-ca"):
        assert read(jurisdiction=value).errors == {"jurisdiction": "error_jurisdiction_required"}, value


def test_objection_and_correction_carry_their_details():
    assert read(type="objection", objection="automated_decisions").filed.details == {"objection": "automated_decisions"}
    assert read(type="objection").errors == {"objection": "error_objection_required"}
    assert read(type="objection", objection="profiling").errors == {"objection": "error_objection_required"}
    assert read(type="correction", correction=" My name is Ada. ").filed.details == {"correction": "My name is Ada."}
    assert read(type="correction").errors == {"correction": "error_correction_required"}
    assert read(type="correction", correction="x" * 2001).errors == {"correction": "error_correction_too_long"}
    # A correction's text sent with another type is not part of that request.
    assert read(type="deletion", correction="ignored").filed.details == {}


def test_an_agent_needs_a_name_an_email_and_the_declaration():
    agent = {"on_behalf": "yes", "agent_name": " Bea Agent ", "agent_email": "Bea@Agency.example", "agent_declaration": "yes"}
    assert read(**agent).filed.agent == {"name": "Bea Agent", "email": "Bea@agency.example", "declaration": True}
    assert read(**{**agent, "agent_declaration": None}).errors == {"agent_declaration": "error_agent_declaration_required"}
    assert read(**{**agent, "agent_name": ""}).errors == {"agent_name": "error_agent_name_required"}
    assert read(**{**agent, "agent_email": "bea"}).errors == {"agent_email": "error_agent_email_invalid"}
    # Details of an agent without the box ticked: ambiguous, so asked again rather than dropped.
    assert read(agent_name="Bea").errors == {"on_behalf": "error_agent_on_behalf"}


def test_every_wrong_field_is_named_in_the_order_of_the_page():
    reading = forms.read({"type": "nonsense"}, verification=Verification.EMAIL, places=PLACES)
    assert list(reading.errors) == ["type", "identifier", "jurisdiction"]
    assert reading.values["type"] == "nonsense" and reading.filed is None


def test_places_are_named_in_the_readers_language_and_sorted_for_it():
    german = PLACES.choices("de")
    names = [entry.name for entry in german]
    assert "Deutschland" in names and "Österreich" in names and "Germany" not in names
    assert names.index("Norwegen") < names.index("Österreich") < names.index("Panama")
    united_states = next(entry for entry in german if isinstance(entry, PlaceGroup) and entry.name == "Vereinigte Staaten")
    assert Place("US-CA", "Kalifornien") in united_states.places and len(united_states.places) == 51
    assert "US" not in {entry.value for entry in german if isinstance(entry, Place)}
    assert any(entry.name == "Allemagne" for entry in PLACES.choices("fr"))


def test_the_cdns_place_preselects_a_known_place_only():
    assert PLACES.preselected("US", "US-TX") == "US-TX"
    assert PLACES.preselected("US", None) is None  # a state must be chosen
    assert PLACES.preselected("DE", "DE-BY") == "DE"
    assert PLACES.preselected(None, None) is None
