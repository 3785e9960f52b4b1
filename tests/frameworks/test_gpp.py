"""The GPP codec and the sections a visitor gets: the header's Fibonacci ranges, clear errors for malformed
strings, and banner_config/signal filling usnat and the state sections from the choices and GPC."""

from __future__ import annotations

import pytest

from consent_service.frameworks import gpp, tcstring
from consent_service.frameworks.gpp import GPPStringError
from consent_service.regimes.service import load_rules
from tests.frameworks.test_tcstring import built

RULES = load_rules()
NO_ADVERTISING = {"necessary", "analytics", "preferences"}.__contains__
EVERYTHING = {"necessary", "analytics", "preferences", "advertising"}.__contains__


def test_the_header_examples_of_the_specification_decode():
    """Core/Consent String Specification.md, "Header Examples": DBABM lists section 2 (padded to 6 bits only)."""
    tc = tcstring.encode(built())
    decoded = gpp.decode(f"DBABM~{tc}")
    assert decoded.section_ids == (2,)
    assert decoded.tcf is not None and decoded.tcf.vendor_consents == {1, 10}


@pytest.mark.parametrize("ids", [[7], [7, 8], [7, 9, 10, 11, 25], [2, 7, 8, 24, 25, 26, 27], list(range(7, 28))])
def test_section_ids_are_fibonacci_ranges_and_round_trip(ids):
    sections = {("tcfeuv2" if i == 2 else gpp.BY_ID[i].prefix): ({} if i != 2 else tcstring.encode(built())) for i in ids}
    string = gpp.encode(sections)
    decoded = gpp.decode(string)
    assert list(decoded.section_ids) == ids
    assert gpp.encode(decoded.sections) == string


def test_fibonacci_coding_matches_the_specification_table():
    assert [gpp._fibonacci(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 12)] == [
        "11", "011", "0011", "1011", "00011", "10011", "01011", "000011", "101011"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "non-empty"),
        ("D*BA", "is not base64url"),
        ("CBAA", "not a GPP header"),
        ("DBABrw~CVQVAAAAAACA.YA", "header lists 2 sections, the string has 1"),
        ("DBABrw~CVQVAAAAAACA.YA~BUU", "section usca: the string ends inside"),
        ("DBABrw~CVQVAAAAAACA.gA~BUUAAACA.YA", "subsection type 2 is not Gpc"),
        ("DBABrw~CVQVAAAAAACA.YA.YA~BUUAAACA.YA", "at most 2"),
        ("DBABTA~BAAAAAA", "section id 6 is not one this service reads"),
        ("DBABRg~BAQAAEA.QA", "section usva has no subsection"),
        ("DBABM~BOEFEAgA", "section tcfeuv2: core segment: version 1 is not TCF v2"),
        ("DBABLA~DAAAAAAA", "version 3 is not one this service reads"),
        ("DBAB4BQAUYA", "header: section id 1000001 is not one"),  # sections 1 to 1000001
    ],
)
def test_malformed_strings_get_a_clear_error(value, message):
    with pytest.raises(GPPStringError, match=message):
        gpp.decode(value)


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"uspv1": {}}, "'uspv1' is not one this service writes"),
        ({"usnat": {"SaleOptOut": 4}}, "SaleOptOut 4 does not fit in 2 bits"),
        ({"usnat": {"SaleOut": 1}}, r"unknown fields \['SaleOut'\]"),
        ({"usnat": {"SensitiveDataProcessing": [0, 1]}}, "list of 16 integers"),
        ({"usnat": {"Gpc": 1}}, "Gpc must be true or false"),
        ({"usva": {"Gpc": True}}, "unknown fields"),
        ({"usnat": {"Version": 3}}, "version 3 is not one this service writes"),
        ({"tcfeuv2": "not a tc string"}, "section tcfeuv2"),
    ],
)
def test_sections_that_cannot_be_written_are_refused(sections, message):
    with pytest.raises(GPPStringError, match=message):
        gpp.encode(sections)


def test_usnat_version_1_strings_are_read():
    string = gpp.encode({"usnat": {"Version": 1, "SensitiveDataProcessing": [2] * 12, "KnownChildSensitiveDataConsents": [1, 1]}})
    decoded = gpp.decode(string)
    assert decoded.sections["usnat"]["SensitiveDataProcessing"] == [2] * 12
    assert gpp.encode(decoded.sections) == string


def test_a_california_visitor_with_gpc_is_opted_out_of_sale_and_sharing_in_usnat_and_usca():
    config = gpp.banner_config(country="US", region="US-CA", rules=RULES, tcf=False)
    assert config["sections"] == ["usnat", "usca"]
    assert config["applicable"] == [8]
    assert config["gpc"] == ["usnat", "usca"]
    assert config["tcfeuv2"] is False
    assert config["opt_outs"]["usca"] == {"SaleOptOut": "advertising", "SharingOptOut": "advertising"}
    assert config["fields"]["usca"] == {
        "SaleOptOutNotice": 1,
        "SharingOptOutNotice": 1,
        "MspaCoveredTransaction": 2,
        "MspaOptOutOptionMode": 0,
        "MspaServiceProviderMode": 0,
    }
    result = gpp.signal(country="US", region="US-CA", rules=RULES, allowed=NO_ADVERTISING, gpc=True, tc_string=None)
    assert result.applicable_sections == [8]
    assert result.section_ids == [7, 8]
    decoded = gpp.decode(result.string)
    for prefix in ("usnat", "usca"):
        section = decoded.sections[prefix]
        assert (section["SaleOptOut"], section["SharingOptOut"], section["Gpc"]) == (1, 1, True)
        assert section["SaleOptOutNotice"] == 1 and section["MspaCoveredTransaction"] == 2
    assert decoded.sections["usnat"]["TargetedAdvertisingOptOut"] == 1


def test_a_california_visitor_who_accepts_did_not_opt_out():
    result = gpp.signal(country="US", region="US-CA", rules=RULES, allowed=EVERYTHING, gpc=False, tc_string=None)
    usca = gpp.decode(result.string).sections["usca"]
    assert (usca["SaleOptOut"], usca["SharingOptOut"], usca["Gpc"]) == (2, 2, False)


def test_a_virginia_visitor_gets_usva_without_a_gpc_subsection():
    config = gpp.banner_config(country="US", region="US-VA", rules=RULES, tcf=False)
    assert config["sections"] == ["usnat", "usva"]
    assert config["applicable"] == [9]
    assert config["gpc"] == ["usnat"]
    assert config["opt_outs"]["usva"] == {"SaleOptOut": "advertising", "TargetedAdvertisingOptOut": "advertising"}
    decoded = gpp.decode(
        gpp.signal(country="US", region="US-VA", rules=RULES, allowed=NO_ADVERTISING, gpc=True, tc_string=None).string
    )
    assert "Gpc" not in decoded.sections["usva"]
    assert decoded.sections["usva"]["SaleOptOut"] == 1 and decoded.sections["usva"]["SharingNotice"] == 1


def test_a_us_visitor_without_a_region_or_in_a_state_without_a_section_gets_usnat():
    for region in (None, "US-WA", "US-AK"):
        config = gpp.banner_config(country="US", region=region, rules=RULES, tcf=True)
        assert (config["sections"], config["applicable"], config["gpc"]) == (["usnat"], [7], ["usnat"])
    assert gpp.banner_config(country=None, region="US-CO", rules=RULES, tcf=False)["sections"] == ["usnat", "usco"]


def test_indiana_gets_its_optional_subsection_as_the_library_writes_it():
    result = gpp.signal(country="US", region="US-IN", rules=RULES, allowed=EVERYTHING, gpc=True, tc_string=None)
    usin = gpp.decode(result.string).sections["usin"]
    assert usin["SensitiveDataProcessing"] == [0] * 8 and usin["MspaMode"] == 0 and usin["ProcessingNotice"] == 1
    assert result.applicable_sections == [25]


def test_germany_gets_no_us_section_and_tcfeuv2_only_with_tcf():
    without = gpp.banner_config(country="DE", region=None, rules=RULES, tcf=False)
    assert without == {"sections": [], "applicable": [-1], "fields": {}, "opt_outs": {}, "gpc": [], "tcfeuv2": False}
    with_tcf = gpp.banner_config(country="DE", region="DE-BY", rules=RULES, tcf=True)
    assert (with_tcf["sections"], with_tcf["applicable"], with_tcf["tcfeuv2"]) == ([], [2], True)
    tc = tcstring.encode(built())
    result = gpp.signal(country="DE", region=None, rules=RULES, allowed=EVERYTHING, gpc=False, tc_string=tc)
    assert (result.applicable_sections, result.section_ids) == ([2], [2])
    assert gpp.decode(result.string).sections == {"tcfeuv2": {"tc_string": tc}}
    assert gpp.banner_config(country="GB", region=None, rules=RULES, tcf=True)["applicable"] == [2]
    assert gpp.banner_config(country="JP", region=None, rules=RULES, tcf=True)["applicable"] == [-1]


def test_a_us_visitor_with_tcf_carries_the_tc_string_beside_the_us_sections():
    tc = tcstring.encode(built())
    result = gpp.signal(country="US", region="US-TX", rules=RULES, allowed=NO_ADVERTISING, gpc=False, tc_string=tc)
    assert (result.applicable_sections, result.section_ids) == ([16], [2, 7, 16])
    assert gpp.decode(result.string).sections["tcfeuv2"] == {"tc_string": tc}


def test_no_section_at_all_is_a_header_alone():
    result = gpp.signal(country="JP", region=None, rules=RULES, allowed=EVERYTHING, gpc=False, tc_string=None)
    assert (result.string, result.applicable_sections, result.section_ids) == ("DBAA", [-1], [])
    assert gpp.decode("DBAA").sections == {}
