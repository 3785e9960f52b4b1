"""A check request loaded by hand is exactly what CheckRequestSchema's marshmallow load gives, or left to it."""
from __future__ import annotations

import marshmallow as ma
from hypothesis import event, given, settings
from hypothesis import strategies as st

from consent_service.consents.schemas import (
    MAX_CHECKS_PER_BATCH,
    MAX_PURPOSES_PER_CHECK,
    CheckRequestSchema,
    plain_check_request,
)

SCHEMA = CheckRequestSchema()

# Valid values, and beside them values at and just past every bound and type the schema checks.
VALID = {
    "kind": st.sampled_from(["customer", "visitor"]),
    "id": st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(["x", "x" * 255])),
    "purpose": st.one_of(st.from_regex(r"[a-z][a-z0-9_]{1,63}", fullmatch=True), st.sampled_from(["marketing", "m" * 64])),
    "country": st.sampled_from(["DE", "US", "FR"]),
    "gpc": st.booleans(),
}
HOSTILE = {
    "kind": st.sampled_from(["Customer", "CUSTOMER", "", "robot", 1, None, ["customer"]]),
    "id": st.sampled_from(["", "x" * 256, 7, None, ["c-1"], True]),
    "purpose": st.sampled_from(["Marketing", "marketing\n", "m", "m" * 65, "", "ünïcode", "a-b", 1, None, True]),
    "country": st.sampled_from(["de", "DEU", "D", "DE\n", "", None, 49]),
    "gpc": st.sampled_from([1, 0, "true", "false", "yes", None, 1.0]),
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
                        ("on_behalf_of", "id")):
        if draw(st.booleans()) or hostile == name:
            item[name] = value(draw, field, hostile == name)
    if hostile == "unknown":
        item[draw(st.sampled_from(["purpose", "checks", "extra"]))] = draw(st.sampled_from([1, "x", None]))
    if hostile == "missing":
        del item[draw(st.sampled_from(["subject", "purposes"]))]
    return item


CHECK_HOSTILITIES = ["kind", "id", "purpose", "purposes", "subject", "country", "destination_country", "gpc",
                     "on_behalf_of", "unknown", "missing"]
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
    full = single | {"destination_country": "US", "gpc": False, "on_behalf_of": "org-1"}
    batch = {"checks": [single, full, {"subject": {"kind": "visitor", "id": "v"}, "purposes": ["analytics"]}]}
    for data in (single, full, batch):
        assert plain_check_request(data) is not None
        assert outcome(SCHEMA.load, data) == outcome(marshmallow_load, data)
