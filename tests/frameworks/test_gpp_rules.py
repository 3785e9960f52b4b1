"""The rules file's `gpp` block: the shipped one loads, and a bad entry stops the start naming its path."""

from __future__ import annotations

import json

import pytest

from consent_service.config import ConfigError
from consent_service.frameworks import gpp
from consent_service.frameworks.gpp_sections import SECTIONS
from consent_service.regimes.service import (
    DEFAULT_RULES_PATH,
    GPP_MSPA_VALUES,
    GPP_NOTICE_FIELDS,
    GPP_OPT_OUT_FIELDS,
    parse_rules,
)


def shipped() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_the_shipped_block_says_advertising_governs_the_opt_outs():
    rules = parse_rules(shipped())
    assert rules.gpp is not None
    assert rules.gpp.opt_outs == {
        "SaleOptOut": "advertising",
        "SharingOptOut": "advertising",
        "TargetedAdvertisingOptOut": "advertising",
    }
    assert rules.gpp.mspa["MspaCoveredTransaction"] == 2
    assert {"DE", "NO", "GB", "CH"} <= rules.gpp.tcfeuv2_countries and "US" not in rules.gpp.tcfeuv2_countries


def test_the_fields_the_rules_may_name_are_those_of_the_sections():
    """regimes cannot import the section tables (frameworks imports regimes): the names are kept in step here."""
    names = {f.name for spec in SECTIONS for f in spec.core}
    assert {name for name in names if name.endswith("OptOut")} == GPP_OPT_OUT_FIELDS
    assert {name for name in names if name.endswith("Notice")} == GPP_NOTICE_FIELDS
    assert {name for name in names if name.startswith("Mspa") and name != "MspaVersion"} == set(GPP_MSPA_VALUES)


def change(path: list[str], value: object) -> dict:
    document = shipped()
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["gpp", "extra"], 1, r"gpp: unknown keys \['extra'\]"),
        (["gpp", "source"], " ", "gpp.source: must cite its source"),
        (["gpp", "opt_outs", "SaleOptOutX"], "advertising", "gpp.opt_outs.SaleOptOutX: not a GPP opt-out field"),
        (["gpp", "opt_outs", "SaleOptOut"], "ads", "gpp.opt_outs.SaleOptOut: 'ads' is not a purpose"),
        (["gpp", "notices"], ["SaleNotice"], r"gpp.notices\[0\]: 'SaleNotice' is not a GPP notice field"),
        (["gpp", "opt_outs", "SharingOptOut"], DELETE, "a notice of SharingOptOut needs gpp.opt_outs.SharingOptOut"),
        (["gpp", "mspa", "MspaCoveredTransaction"], 0, "gpp.mspa.MspaCoveredTransaction: 0 is not one of 1, 2"),
        (["gpp", "mspa", "MspaCoveredTransaction"], DELETE, "gpp.mspa: must say MspaCoveredTransaction"),
        (["gpp", "mspa", "MspaMode"], True, "gpp.mspa.MspaMode: True is not one of 0, 1, 2"),
        (["gpp", "mspa", "MspaVersion"], 1, "gpp.mspa.MspaVersion: not an MSPA field"),
        (["gpp", "tcfeuv2_countries"], ["EEA", "Europe"], r"gpp.tcfeuv2_countries\[1\]: 'Europe' is no transfer region"),
        (["gpp", "opt_outs"], [], "gpp.opt_outs: must be an object"),
    ],
)
def test_a_bad_entry_stops_the_start_naming_it(path, value, message):
    with pytest.raises(ConfigError, match=message):
        parse_rules(change(path, value), source="rules.json")


def test_a_rules_file_without_the_block_loads_but_cannot_fill_gpp_sections():
    rules = parse_rules(change(["gpp"], DELETE))
    assert rules.gpp is None
    with pytest.raises(gpp.GPPStringError, match="the regime rules have no gpp block"):
        gpp.banner_config(country="US", region="US-CA", rules=rules, tcf=False)


def test_another_purpose_can_govern_an_opt_out():
    document = change(["gpp", "opt_outs", "TargetedAdvertisingOptOut"], "marketing")
    config = gpp.banner_config(country="US", region=None, rules=parse_rules(document), tcf=False)
    assert config["opt_outs"]["usnat"]["TargetedAdvertisingOptOut"] == "marketing"
