"""The hand-built responses of /v1/checks and of a subject's state (writes and reads) equal their
schemas' dumps, field for field and in order."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.consents import service as consents
from consent_service.consents.schemas import CheckResponseSchema, SubjectStateSchema, check_response, subject_state_response
from consent_service.consents.service import CheckResult, SubjectState
from consent_service.extensions import db
from consent_service.runtime import runtime
from consent_service.consents.state import PurposeState
from consent_service.vocabulary import Basis, Decision, Method, Reason, Regime

SCHEMA = CheckResponseSchema()
purpose_keys = st.from_regex(r"[a-z][a-z0-9_]{1,20}", fullmatch=True)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc))


@st.composite
def purpose_states(draw, key: str) -> PurposeState:
    recorded = draw(st.booleans())
    return PurposeState(
        purpose=key,
        decision=draw(st.sampled_from(list(Decision))),
        allowed=draw(st.booleans()),
        reason=draw(st.sampled_from(list(Reason))),
        source="event" if recorded else "default",
        method=draw(st.sampled_from(list(Method))) if recorded else None,
        notice_version=draw(st.text(min_size=1, max_size=8)) if recorded else None,
        updated_at=draw(moments) if recorded else None,
        reconsent_required=draw(st.booleans()),
        basis=draw(st.none() | st.sampled_from(list(Basis))),
        rule=draw(st.none() | st.sampled_from(["event", "minors", "regimes.opt_in.purposes.advertising.default"])),
        recording_consent=draw(st.sampled_from([None, "all_parties", "one_party"])),
        recipient=draw(st.none() | st.sampled_from(["acme-us", "group-in"])),
    )


@st.composite
def check_results(draw) -> CheckResult:
    keys = draw(st.lists(purpose_keys, min_size=1, max_size=6, unique=True))
    decisions = {key: draw(purpose_states(key)) for key in keys}
    return CheckResult(allowed=all(d.allowed for d in decisions.values()), decisions=decisions,
                       jurisdiction=draw(jurisdictions))


jurisdictions = st.one_of(st.none(), st.sampled_from(["US-CA", "CA-QC", "DE", "US"]))
answers = st.one_of(check_results(), st.builds(dict, results=st.lists(check_results(), min_size=1, max_size=5)))


@settings(max_examples=300, deadline=None)
@given(answer=answers)
def test_check_response_is_the_schema_dump(answer):
    built, dumped = check_response(answer), SCHEMA.dump(answer)
    assert built == dumped
    # The same bytes on the wire: key order included, and plain JSON types only.
    assert json.dumps(built) == json.dumps(dumped)


def test_a_check_answer_through_the_api_is_the_schema_dump(client, auth):
    headers = auth("consents:read", "consents:write")
    client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "written"}],
        "notice_version": "2026-01-01", "country": "DE"})
    single = client.post("/v1/checks", headers=headers, json={
        "subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing", "analytics"], "country": "DE"})
    batch = client.post("/v1/checks", headers=headers, json={"checks": [
        {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"]},
        {"subject": {"kind": "visitor", "id": "v-1"}, "purposes": ["analytics", "necessary"], "gpc": True}]})
    assert single.status_code == batch.status_code == 200
    assert single.json == {"allowed": False, "decisions": {
        "marketing": {"allowed": True, "reason": "granted", "basis": "consent", "rule": "event"},
        "analytics": {"allowed": False, "reason": "opt_in_required", "basis": None, "rule": "catalogue.defaults"}},
        "jurisdiction": "DE"}
    assert list(single.json) == ["allowed", "decisions", "jurisdiction"]
    assert [list(result["decisions"]) for result in batch.json["results"]] == [["marketing"], ["analytics", "necessary"]]


@st.composite
def subject_states(draw) -> SubjectState:
    keys = draw(st.lists(purpose_keys, min_size=0, max_size=8, unique=True))
    return SubjectState(
        kind=draw(st.sampled_from(["customer", "visitor"])),
        id=draw(st.text(min_size=1, max_size=12)),
        revision=draw(st.integers(min_value=0, max_value=10**6)),
        regime=draw(st.sampled_from(list(Regime))).value,
        consents={key: draw(purpose_states(key)) for key in keys},
        subject_key=draw(st.none() | st.integers(min_value=1)),
        jurisdiction=draw(jurisdictions),
    )


@settings(max_examples=300, deadline=None)
@given(state=subject_states())
def test_subject_state_response_is_the_schema_dump(state):
    built, dumped = subject_state_response(state), SubjectStateSchema().dump(state)
    assert built == dumped
    assert json.dumps(built) == json.dumps(dumped)


def test_a_write_and_a_state_read_answer_the_schema_dump(client, auth, app):
    headers = auth("consents:read", "consents:write")
    written = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "written"}],
        "notice_version": "2026-01-01", "country": "DE"})
    read = client.get("/v1/subjects/customer/c-1/consents", headers=headers)
    assert written.status_code == 201 and read.status_code == 200
    with app.app_context():
        state = consents.read_state(session=db.session, kind="customer", external_id="c-1",
                                    rules=runtime().rules, now=app.config["CLOCK"]())
    assert read.json == written.json == SubjectStateSchema().dump(state)
