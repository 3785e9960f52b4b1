"""Check and record requests loaded by hand are exactly what their schema's marshmallow load gives, or left to it."""
from __future__ import annotations

import marshmallow as ma
from hypothesis import event, given, settings
from hypothesis import strategies as st

from consent_service.consents.schemas import (
    MAX_CHECKS_PER_BATCH,
    MAX_EVENTS_PER_REQUEST,
    MAX_PURPOSES_PER_CHECK,
    CheckRequestSchema,
    RecordEventsSchema,
    plain_check_request,
    plain_record_events,
)
from consent_service.vocabulary import Decision, Method

SCHEMA, RECORD_SCHEMA = CheckRequestSchema(), RecordEventsSchema()

# Valid values, and beside them values at and just past every bound and type the schema checks.
VALID = {
    "kind": st.sampled_from(["customer", "visitor"]),
    "id": st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(["x", "x" * 255])),
    "purpose": st.one_of(st.from_regex(r"[a-z][a-z0-9_]{1,63}", fullmatch=True), st.sampled_from(["marketing", "m" * 64])),
    "country": st.sampled_from(["DE", "US", "FR"]),
    "destination": st.sampled_from(["US", "*"]),
    "gpc": st.booleans(),
    "decision": st.sampled_from([decision.value for decision in Decision]),
    "method": st.sampled_from([method.value for method in Method if method is not Method.LINKED]),
    "notice_version": st.one_of(st.text(min_size=1, max_size=10), st.just("v" * 64)),
    "property": st.one_of(st.text(min_size=1, max_size=10), st.just("p" * 64)),
    "legal_effect": st.booleans(),
    "necessity": st.just("contract"),
}
HOSTILE = {
    "kind": st.sampled_from(["Customer", "CUSTOMER", "", "robot", 1, None, ["customer"]]),
    "id": st.sampled_from(["", "x" * 256, 7, None, ["c-1"], True]),
    "purpose": st.sampled_from(["Marketing", "marketing\n", "m", "m" * 65, "", "ünïcode", "a-b", 1, None, True]),
    "country": st.sampled_from(["de", "DEU", "D", "DE\n", "", None, 49]),
    "destination": st.sampled_from(["**", "us", "USA", "", None, 1]),
    "gpc": st.sampled_from([1, 0, "true", "false", "yes", None, 1.0]),
    "decision": st.sampled_from(["Granted", "maybe", "", None, 1, ["granted"]]),
    "method": st.sampled_from(["linked", "API", "telepathy", "", None, 2]),
    "notice_version": st.sampled_from(["", "v" * 65, None, 1, ["v1"]]),
    "property": st.sampled_from(["", "p" * 65, None, 1]),
    "legal_effect": st.sampled_from([1, 0, "true", "no", None, 1.0]),
    "necessity": st.sampled_from(["Contract", "consent", "", None, 1]),
}


def value(draw, field: str, hostile: bool):
    return draw(HOSTILE[field] if hostile else VALID[field])


@st.composite
def checks(draw, hostile: str | None = None) -> dict:
    """One check, valid but for the part named by `hostile`, if any."""
    purposes = [value(draw, "purpose", False) for _ in range(draw(st.integers(1, 3)))]
    if hostile == "purpose":
        purposes.insert(draw(st.integers(0, len(purposes))), value(draw, "purpose", True))
    elif hostile == "purposes":
        purposes = draw(st.sampled_from([[], ["marketing"] * (MAX_PURPOSES_PER_CHECK + 1), "marketing", None,
                                         {"marketing": True}, ("marketing",)]))
    elif draw(st.integers(0, 20)) == 0:
        purposes = ["marketing"] * MAX_PURPOSES_PER_CHECK
    subject = {"kind": value(draw, "kind", hostile == "kind"), "id": value(draw, "id", hostile == "id")}
    if hostile == "subject":
        subject = draw(st.sampled_from([None, "customer:c-1", ["customer", "c-1"], {"kind": "customer"},
                                        {"id": "c-1"}, subject | {"name": "x"}]))
    item = {"subject": subject, "purposes": purposes}
    for name, field in (("country", "country"), ("destination_country", "country"), ("gpc", "gpc"),
                        ("on_behalf_of", "id"), ("legal_effect", "legal_effect"), ("necessity", "necessity")):
        if draw(st.booleans()) or hostile == name:
            item[name] = value(draw, field, hostile == name)
    if hostile == "unknown":
        item[draw(st.sampled_from(["purpose", "checks", "extra"]))] = draw(st.sampled_from([1, "x", None]))
    if hostile == "missing":
        del item[draw(st.sampled_from(["subject", "purposes"]))]
    return item


CHECK_HOSTILITIES = ["kind", "id", "purpose", "purposes", "subject", "country", "destination_country", "gpc",
                     "on_behalf_of", "legal_effect", "necessity", "unknown", "missing"]
hostility = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(CHECK_HOSTILITIES))


@st.composite
def requests(draw):
    form = draw(st.integers(0, 19))
    if form < 10:
        return draw(checks(draw(hostility)))
    if form < 19:
        items = [draw(checks()) for _ in range(draw(st.integers(1, 3)))]
        hostile = draw(st.one_of(st.none(), st.none(), st.sampled_from(CHECK_HOSTILITIES + ["batch", "mixed"])))
        if hostile in CHECK_HOSTILITIES:
            items.insert(draw(st.integers(0, len(items))), draw(checks(hostile)))
        elif hostile == "batch":
            items = draw(st.sampled_from([[], items * MAX_CHECKS_PER_BATCH, items[:1] * MAX_CHECKS_PER_BATCH, None,
                                          items[0]]))
        batch = {"checks": items}
        if hostile == "mixed":
            batch.update(draw(st.sampled_from([{"country": "DE"}, {"gpc": True}, {"extra": 1}, items[0]])))
        return batch
    return draw(st.sampled_from([None, [], "checks", 1, {}, {"checks": {"subject": None}}]))


@st.composite
def events(draw, hostile: str | None = None) -> dict:
    event = {"purpose": value(draw, "purpose", hostile == "purpose"),
             "decision": value(draw, "decision", hostile == "decision"),
             "method": value(draw, "method", hostile == "method")}
    if hostile == "event":
        event = draw(st.sampled_from([{"purpose": "marketing", "decision": "granted"},
                                      event | {"extra": 1}, None, ["marketing", "granted", "api"]]))
    return event


RECORD_HOSTILITIES = ["purpose", "decision", "method", "event", "events", "notice_version", "country",
                      "destination_country", "gpc", "property", "unknown", "missing", "actor", "evidence", "age",
                      "notified_at"]


@st.composite
def record_requests(draw):
    hostile = draw(st.one_of(st.none(), st.none(), st.none(), st.sampled_from(RECORD_HOSTILITIES)))
    items = [draw(events()) for _ in range(draw(st.integers(1, 3)))]
    if hostile in ("purpose", "decision", "method", "event"):
        items.insert(draw(st.integers(0, len(items))), draw(events(hostile)))
    elif hostile == "events":
        items = draw(st.sampled_from([[], items * MAX_EVENTS_PER_REQUEST, None, items[0]]))
    elif draw(st.integers(0, 20)) == 0:
        items = items[:1] * MAX_EVENTS_PER_REQUEST
    data = {"events": items, "notice_version": value(draw, "notice_version", hostile == "notice_version")}
    for name, field in (("country", "country"), ("destination_country", "destination"), ("gpc", "gpc"),
                        ("property", "property")):
        if draw(st.booleans()) or hostile == name:
            data[name] = value(draw, field, hostile == name)
    # Fields the shortcut leaves to the schema, valid or not.
    if hostile == "actor":
        data["actor"] = draw(st.sampled_from([{"type": "agent", "id": "a-1"}, {"type": "subject"}, {"type": "x"}]))
    if hostile == "evidence":
        data["evidence"] = draw(st.sampled_from([{"ip": "192.0.2.1"}, {"ip": "nonsense"}, {"reference": "r"}]))
    if hostile == "age":
        data["age"] = draw(st.sampled_from([15, 150, 151, "16", 16.0, 16.5, True]))
    if hostile == "notified_at":
        data["notified_at"] = draw(st.sampled_from(["2026-01-15T09:29:00+00:00", "2026-01-15T09:29:00", "", 1]))
    if hostile == "unknown":
        data[draw(st.sampled_from(["revision", "checks", "extra"]))] = 1
    if hostile == "missing":
        del data[draw(st.sampled_from(["events", "notice_version"]))]
    return data


def outcome(load, data) -> str:
    """What a load gives, as text: repr shows types (SubjectKind members, not strings) and key order."""
    try:
        return repr(load(data))
    except ma.ValidationError as error:
        return f"error {error.messages!r}"


def marshmallow_load(data):
    """The schema's own load, without the shortcut."""
    return ma.Schema.load(SCHEMA, data, unknown=ma.RAISE)


@settings(max_examples=1500, deadline=None)
@given(data=requests())
def test_plain_requests_load_as_the_schema_loads_them_and_the_rest_is_left_to_it(data):
    plain, expected = plain_check_request(data), outcome(marshmallow_load, data)
    event("shortcut" if plain is not None else "error" if expected.startswith("error") else "valid, left to the schema")
    if plain is not None:
        assert repr(plain) == expected
    assert outcome(SCHEMA.load, data) == expected


def test_usual_requests_take_the_shortcut():
    single = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing", "analytics"], "country": "DE"}
    full = single | {"destination_country": "US", "gpc": False, "on_behalf_of": "org-1", "legal_effect": True}
    batch = {"checks": [single, full, {"subject": {"kind": "visitor", "id": "v"}, "purposes": ["analytics"]}]}
    for data in (single, full, batch):
        assert plain_check_request(data) is not None
        assert outcome(SCHEMA.load, data) == outcome(marshmallow_load, data)


def marshmallow_record_load(data):
    return ma.Schema.load(RECORD_SCHEMA, data, unknown=ma.RAISE)


@settings(max_examples=1500, deadline=None)
@given(data=record_requests())
def test_plain_record_requests_load_as_the_schema_loads_them_and_the_rest_is_left_to_it(data):
    plain, expected = plain_record_events(data), outcome(marshmallow_record_load, data)
    event("shortcut" if plain is not None else "error" if expected.startswith("error") else "valid, left to the schema")
    if plain is not None:
        assert repr(plain) == expected
    assert outcome(RECORD_SCHEMA.load, data) == expected


def test_usual_record_requests_take_the_shortcut():
    usual = {"events": [{"purpose": "marketing", "decision": "denied", "method": "api"}], "notice_version": "2026-01-01",
             "country": "DE"}
    full = usual | {"destination_country": "*", "gpc": True, "property": "shop"}
    for data in (usual, full):
        assert plain_record_events(data) is not None
        assert outcome(RECORD_SCHEMA.load, data) == outcome(marshmallow_record_load, data)
