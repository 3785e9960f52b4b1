"""Acceptance 3: the Python codecs read and re-write the TC and GPP strings the IAB's own libraries make.

tests/frameworks/iab_strings.mjs makes them with @iabtechlabtcf/core and @iabgpp/cmpapi from
js-snippet/node_modules and prints each with the values it set; here each is decoded, its values checked and
its re-encoding compared with the library's string, character for character.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consent_service.frameworks import gpp, tcstring
from consent_service.regimes.service import load_rules
from tests.frameworks.test_tcstring import built

SCRIPT = Path(__file__).with_name("iab_strings.mjs")
NODE_MODULES = Path(__file__).parents[2] / "js-snippet" / "node_modules"
LIBRARIES = ("@iabtechlabtcf/core", "@iabgpp/cmpapi")


def node_or_skip() -> str:
    """The node binary, with the IAB libraries installed; outside CI a skip saying what is missing."""
    node = shutil.which("node")
    missing = [name for name in LIBRARIES if not (NODE_MODULES / name).is_dir()]
    if node is None or missing:
        why = "node is not installed" if node is None else f"{', '.join(missing)} not in {NODE_MODULES} (npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the IAB strings cannot be made in CI: {why}")
        pytest.skip(f"the IAB strings cannot be made: {why}; run `cd js-snippet && npm ci`")
    return node


@pytest.fixture(scope="module")
def made() -> dict[str, Any]:
    result = subprocess.run([node_or_skip(), str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_libraries_made_enough_strings(made):
    assert len(made["tcf"]) >= 20
    assert len(made["gpp"]) >= 20
    assert len({case["string"] for case in made["tcf"]}) == len(made["tcf"])
    assert len({case["string"] for case in made["gpp"]}) == len(made["gpp"])


def _moment(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def check_tc(tc: tcstring.TCString, expect: dict[str, Any], gvl_ids: set[int]) -> None:
    assert tc.version == expect["version"]
    assert tc.created == _moment(expect["created_ms"])
    assert tc.last_updated == _moment(expect["last_updated_ms"])
    for name in (
        "cmp_id",
        "cmp_version",
        "consent_screen",
        "consent_language",
        "vendor_list_version",
        "policy_version",
        "is_service_specific",
        "use_non_standard_texts",
        "purpose_one_treatment",
        "publisher_country_code",
    ):
        assert getattr(tc, name) == expect[name], name
    for name in (
        "special_feature_optins",
        "purpose_consents",
        "purpose_legitimate_interests",
        "vendor_consents",
        "vendor_legitimate_interests",
        "disclosed_vendors",
    ):
        assert getattr(tc, name) == frozenset(expect[name]), name
    # The library writes a restriction's vendors as ranges that may span ids the GVL does not list.
    restrictions = [
        {"purpose": r.purpose, "restriction_type": r.restriction_type, "vendors": sorted(r.vendors & gvl_ids)}
        for r in tc.publisher_restrictions
    ]
    assert sorted(restrictions, key=repr) == sorted(expect["publisher_restrictions"], key=repr)
    if expect["publisher_tc"] is None:
        assert tc.publisher_tc is None
    else:
        publisher = expect["publisher_tc"]
        assert tc.publisher_tc == tcstring.PublisherTC(
            purpose_consents=frozenset(publisher["consents"]),
            purpose_legitimate_interests=frozenset(publisher["legitimate_interests"]),
            custom_purposes=publisher["custom_purposes"],
            custom_purpose_consents=frozenset(publisher["custom_consents"]),
            custom_purpose_legitimate_interests=frozenset(publisher["custom_legitimate_interests"]),
        )


def test_tc_strings_decode_to_what_the_library_was_given_and_encode_back(made):
    encodings = set()
    for case in made["tcf"]:
        tc = tcstring.decode(case["string"])
        check_tc(tc, case["expect"], set(case["gvl_vendor_ids"]))
        assert tcstring.encode(tc) == case["string"]
        encodings |= {layout.encoding for layout in tc.layout.values()}
    assert encodings == {"bitfield", "range"}, "the cases should make the library use both vendor encodings"


def test_gpp_strings_decode_to_what_the_library_was_given_and_encode_back(made):
    seen_sections: set[str] = set()
    gpc_values: set[object] = set()
    for case in made["gpp"]:
        decoded = gpp.decode(case["string"])
        us_sections = {prefix: fields for prefix, fields in decoded.sections.items() if prefix != "tcfeuv2"}
        assert us_sections == case["fields"], case["string"]
        for prefix, values in case["set"].items():
            assert {name: us_sections[prefix][name] for name in values} == values
        seen_sections |= set(us_sections)
        gpc_values |= {fields.get("Gpc", "absent") for fields in us_sections.values()}
        if case["tc_string"] is not None:
            assert decoded.tcf is not None
            carried, given = decoded.tcf, tcstring.decode(case["tc_string"])
            for name in ("cmp_id", "purpose_consents", "purpose_legitimate_interests", "vendor_consents",
                         "vendor_legitimate_interests", "special_feature_optins", "disclosed_vendors",
                         "publisher_country_code", "is_service_specific"):
                assert getattr(carried, name) == getattr(given, name), name
            assert tcstring.encode(carried) == decoded.sections["tcfeuv2"]["tc_string"]
        assert gpp.encode(decoded.sections) == case["string"]
    assert "tcfeuv2" in {prefix for case in made["gpp"] for prefix in gpp.decode(case["string"]).sections}
    assert seen_sections == set(gpp.BY_PREFIX), "every US section the service writes is checked against the library"
    assert gpc_values == {True, False, "absent"}
    sensitive = {
        "SensitiveDataProcessing" in fields
        for case in made["gpp"]
        for prefix, fields in case["fields"].items()
        if prefix in ("usin", "usky", "usri")
    }
    assert sensitive == {True, False}, "IN, KY and RI strings with and without their optional subsection"


VISITORS = [
    # (country, region, purposes the visitor allows, GPC honoured, with a TC string)
    ("US", "US-CA", set(), True, False),
    ("US", "US-CA", {"advertising", "analytics"}, False, False),
    ("US", "US-VA", set(), True, False),
    ("US", "US-CO", {"advertising"}, True, False),
    ("US", "US-IN", {"advertising"}, False, False),
    ("US", "US-MD", set(), False, True),
    ("US", "US-TX", {"advertising"}, True, True),
    ("US", None, set(), True, False),
    ("US", "US-WA", {"advertising"}, False, False),
    ("DE", None, {"advertising"}, False, True),
    ("JP", None, set(), False, False),
]


def test_signal_makes_the_string_the_library_makes_from_the_same_banner_config():
    """gpp.signal (Python) and the banner's filling with @iabgpp/cmpapi (JS) agree, character for character."""
    rules = load_rules()
    tc = tcstring.encode(built())
    cases, expected = [], []
    for country, region, allowed, gpc, with_tc in VISITORS:
        config = gpp.banner_config(country=country, region=region, rules=rules, tcf=with_tc)
        cases.append({"config": config, "has": sorted(allowed), "gpc": gpc, "tc_string": tc if with_tc else None})
        made = gpp.signal(
            country=country,
            region=region,
            rules=rules,
            allowed=allowed.__contains__,
            gpc=gpc,
            tc_string=tc if with_tc else None,
        )
        expected.append(made.string)
    result = subprocess.run(
        [node_or_skip(), str(SCRIPT), "--fill"],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
