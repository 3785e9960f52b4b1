"""The TC string codec on its own: malformed strings get a clear error, a string we build encodes and decodes
back (choosing the shorter vendor encoding), and the check helpers answer with a reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from consent_service.frameworks import tcstring
from consent_service.frameworks.tcstring import PublisherRestriction, PublisherTC, TCString, TCStringError

MOMENT = datetime(2026, 12, 5, 6, 30, 15, 300000, tzinfo=UTC)


def built(**changes) -> TCString:
    base = TCString(
        version=2,
        created=MOMENT,
        last_updated=MOMENT,
        cmp_id=0,
        cmp_version=0,
        consent_screen=1,
        consent_language="DE",
        vendor_list_version=77,
        policy_version=5,
        is_service_specific=True,
        use_non_standard_texts=False,
        special_feature_optins=frozenset({1}),
        purpose_consents=frozenset({1, 2, 4}),
        purpose_legitimate_interests=frozenset({7}),
        purpose_one_treatment=False,
        publisher_country_code="DE",
        vendor_consents=frozenset({1, 10}),
        vendor_legitimate_interests=frozenset({8}),
        publisher_restrictions=(PublisherRestriction(purpose=2, restriction_type=0, ranges=((91, 91),)),),
        disclosed_vendors=frozenset({1, 8, 10, 91}),
        publisher_tc=PublisherTC(purpose_consents=frozenset({1}), custom_purposes=2, custom_purpose_consents=frozenset({2})),
    )
    return replace(base, **changes)


def test_a_string_we_build_decodes_to_the_same_fields():
    tc = built()
    decoded = tcstring.decode(tcstring.encode(tc))
    assert decoded == tc
    assert decoded.layout["vendor_consents"] == tcstring.VendorLayout("bitfield", 10)
    assert tcstring.encode(decoded) == tcstring.encode(tc)


def test_large_vendor_ids_are_written_as_ranges_and_small_sets_as_bitfields():
    decoded = tcstring.decode(tcstring.encode(built(vendor_consents=frozenset({1200, 1201, 1202, 2100}))))
    assert decoded.vendor_consents == {1200, 1201, 1202, 2100}
    assert decoded.layout["vendor_consents"] == tcstring.VendorLayout("range", 2100)
    assert decoded.layout["vendor_legitimate_interests"].encoding == "bitfield"


def test_reject_all_has_no_consents_but_the_disclosed_vendors():
    tc = tcstring.decode(
        tcstring.encode(
            built(
                purpose_consents=frozenset(),
                purpose_legitimate_interests=frozenset(),
                vendor_consents=frozenset(),
                vendor_legitimate_interests=frozenset(),
                special_feature_optins=frozenset(),
            )
        )
    )
    assert not (tc.purpose_consents or tc.vendor_consents or tc.vendor_legitimate_interests)
    assert tc.disclosed_vendors == {1, 8, 10, 91}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "non-empty"),
        ("C!!", "is not base64url"),
        ("BAAAAAAA", "version 1 is not TCF v2"),
        ("CQdWYDmQdWYDm", "the string ends inside"),
        ("CQdWYDmQdWYDmAAABADEBNFgAAAAAAAAAAAAAAAAAABDwAIACggAEALY.gAAA", "segment type 4 is not"),
    ],
)
def test_malformed_strings_get_a_clear_error(value, message):
    with pytest.raises(TCStringError, match=message):
        tcstring.decode(value)


def test_overlapping_vendor_ranges_are_refused():
    """4095 entries of 1-65535 would make one string cost 268 million steps: entries must ascend."""
    writer = tcstring.BitWriter()
    writer.uint(1, 3, "segment type")
    writer.uint(65535, 16, "max")
    writer.flag(True)
    writer.uint(2, 12, "entries")
    for _ in range(2):
        writer.flag(True)
        writer.uint(1, 16, "first")
        writer.uint(65535, 16, "last")
    core = tcstring.encode(built()).split(".")[0]
    with pytest.raises(TCStringError, match=r"disclosed_vendors ranges do not ascend \(1 after 65535\)"):
        tcstring.decode(f"{core}.{tcstring.base64url_from_bits(writer.text(), 24)}")


def test_a_segment_twice_is_refused():
    string = tcstring.encode(built())
    core, disclosed, publisher = string.split(".")
    with pytest.raises(TCStringError, match="disclosedVendors segment appears twice"):
        tcstring.decode(".".join([core, disclosed, disclosed]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent_language": "de"}, "two letters"),
        ({"cmp_id": 5000}, "does not fit in 12 bits"),
        ({"purpose_consents": frozenset({25})}, "outside 1..24"),
        ({"created": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"version": 1}, "not TCF v2"),
    ],
)
def test_fields_that_cannot_be_written_are_refused(changes, message):
    with pytest.raises(TCStringError, match=message):
        tcstring.encode(built(**changes))


def test_vendor_refusal_answers_with_a_reason():
    tc = built()

    def refusal(tc, **question):
        found = tcstring.vendor_refusal(tc, **question)
        return None if found is None else (found.reason, found.ids, found.message)

    assert refusal(tc, vendor=1, purposes=[1, 2]) is None
    assert refusal(tc, vendor=1, purposes=[3]) == ("purpose_not_consented", (3,), "no consent to purpose 3")
    assert refusal(tc, vendor=2, purposes=[1]) == ("vendor_not_consented", (2,), "no consent for vendor 2")
    assert refusal(tc, vendor=8, legitimate_interest_purposes=[7]) is None
    assert refusal(tc, vendor=1, legitimate_interest_purposes=[7]) == (
        "objected",
        (1,),
        "objection to vendor 1 (legitimate interest)",
    )
    assert refusal(tc, vendor=91, purposes=[2]) == (
        "publisher_restricted",
        (2,),
        "the publisher does not allow vendor 91 purpose 2",
    )
    # A "require consent" restriction turns a legitimate interest purpose into a consent one.
    required = built(publisher_restrictions=(PublisherRestriction(7, 1, ((8, 8),)),))
    assert refusal(required, vendor=8, legitimate_interest_purposes=[7]) == (
        "purpose_not_consented",
        (7,),
        "no consent to purpose 7",
    )
    assert refusal(tc, vendor=1, special_features=[1]) is None
    assert refusal(tc, vendor=1, special_features=[2]) == (
        "special_feature_not_opted_in",
        (2,),
        "no opt-in to special feature 2",
    )
    assert refusal(tc, vendor=2, special_features=[1]) == ("vendor_not_consented", (2,), "no consent for vendor 2")
