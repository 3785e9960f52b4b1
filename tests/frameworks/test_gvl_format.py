"""The GVL v3 format: valid lists and translations are read, every kind of malformed one is refused by name."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from consent_service.frameworks import gvl
from consent_service.frameworks.gvl import InvalidVendorList
from tests.frameworks.gvl_files import GVL_42, TRANSLATIONS, load


def test_a_valid_list_is_read_with_its_header():
    parsed = gvl.parse_vendor_list(load(GVL_42))
    assert (parsed.vendor_list_version, parsed.tcf_policy_version, parsed.gvl_specification_version) == (42, 5, 3)
    assert parsed.last_updated == datetime(2026, 11, 26, 16, tzinfo=timezone.utc)
    assert gvl.offered_vendors(parsed.content) == {
        1: "Example Ad Exchange", 2: "Example Analytics", 4: "Example Measurement",
        7: "Example Content Personaliser", 12: "Example Video Platform",
    }  # 9 carries a deletedDate


def _broken(change) -> dict:
    document = copy.deepcopy(load(GVL_42))
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(gvlSpecificationVersion=2), "gvlSpecificationVersion"),
        (lambda d: d.update(vendorListVersion="42"), "vendorListVersion"),
        (lambda d: d.update(vendorListVersion=True), "vendorListVersion"),
        (lambda d: d.update(tcfPolicyVersion=4), "tcfPolicyVersion"),  # TCF v2.2: not v2.3
        (lambda d: d.update(lastUpdated="2026-11-26"), "lastUpdated"),  # no offset
        (lambda d: d["purposes"].pop("11"), "purposes"),
        (lambda d: d["purposes"].update({"12": {"id": 12, "name": "x", "description": "y"}}), "purposes"),
        (lambda d: d["features"]["2"].update(id=3), "features.2"),
        (lambda d: d["specialFeatures"]["1"].pop("description"), "specialFeatures.1.description"),
        (lambda d: d.pop("specialPurposes"), "specialPurposes"),
        (lambda d: d.update(vendors=[]), "vendors"),
        (lambda d: d["vendors"]["1"].update(id=2), "vendors.1.id"),
        (lambda d: d["vendors"]["2"].update(name=" "), "vendors.2.name"),
        (lambda d: d["vendors"]["4"].update(purposes=[1, 12]), "vendors.4.purposes"),
        (lambda d: d["vendors"]["4"].update(legIntPurposes="9"), "vendors.4.legIntPurposes"),
        (lambda d: d["vendors"]["4"].update(specialFeatures=[3]), "vendors.4.specialFeatures"),
        (lambda d: d["vendors"]["1"].update(flexiblePurposes=[5]), "vendors.1.flexiblePurposes"),
        (lambda d: d["vendors"]["7"].pop("urls"), "vendors.7.urls"),
        (lambda d: d["vendors"]["7"].update(urls=[{"langId": "en", "privacy": "javascript:alert(1)"}]), "vendors.7.urls"),
        (lambda d: d["vendors"]["9"].update(deletedDate="yesterday"), "vendors.9.deletedDate"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_field(change, field):
    with pytest.raises(InvalidVendorList) as refused:
        gvl.parse_vendor_list(_broken(change))
    assert field in refused.value.errors, refused.value.errors


def test_not_an_object_is_refused():
    for document in ([], "vendor list", None, 42):
        with pytest.raises(InvalidVendorList):
            gvl.parse_vendor_list(document)


def test_a_vendor_with_a_policy_url_only_is_read():
    document = _broken(lambda d: d["vendors"]["7"].pop("urls"))
    document["vendors"]["7"]["policyUrl"] = "https://vendor7.example/privacy"
    assert gvl.parse_vendor_list(document).vendor_list_version == 42


def test_many_problems_are_listed_up_to_a_bound():
    document = _broken(lambda d: [v.update(name="") for v in d["vendors"].values()] and None)
    for index in range(100, 130):
        document["vendors"][str(index)] = {"id": index}
    with pytest.raises(InvalidVendorList) as refused:
        gvl.parse_vendor_list(document)
    shown = sum(len(messages) for key, messages in refused.value.errors.items() if key != "_schema")
    assert shown == gvl.MAX_PROBLEMS_SHOWN and "more problems" in refused.value.errors["_schema"][0]


def test_a_translation_must_cover_the_lists_texts():
    vendor_list = gvl.parse_vendor_list(load(GVL_42))
    texts = gvl.parse_translation(load(TRANSLATIONS["de"]), vendor_list=vendor_list, language="de")
    assert texts["purposes"]["1"]["name"] == "Speichern von oder Zugriff auf Informationen auf einem Endgerät"
    assert set(texts) == set(gvl.TRANSLATED_SECTIONS)
    missing = load(TRANSLATIONS["fr"])
    del missing["features"]["3"]
    with pytest.raises(InvalidVendorList, match="fr translation") as refused:
        gvl.parse_translation(missing, vendor_list=vendor_list, language="fr")
    assert "no text for ids 3" in refused.value.errors["features"][0]
    extra = load(TRANSLATIONS["fr"])
    extra["stacks"]["5"] = {"id": 5, "name": "x", "description": "y"}
    with pytest.raises(InvalidVendorList) as refused:
        gvl.parse_translation(extra, vendor_list=vendor_list, language="fr")
    assert "ids 5 are not in vendor list 42" in refused.value.errors["stacks"][0]
    with pytest.raises(InvalidVendorList):
        gvl.parse_translation(["purposes"], vendor_list=vendor_list, language="fr")


def test_a_banner_shows_its_vendors_only_in_its_language():
    vendor_list = gvl.parse_vendor_list(load(GVL_42))
    texts = gvl.parse_translation(load(TRANSLATIONS["fr"]), vendor_list=vendor_list, language="fr")
    shown = gvl.trimmed(vendor_list.content, vendor_ids=[12, 1, 9, 300], translation=texts)
    assert list(shown["vendors"]) == ["1", "12"]  # 9 is deleted, 300 unknown
    assert shown["vendors"]["12"] == vendor_list.content["vendors"]["12"]
    assert shown["purposes"]["7"]["name"] == "Mesurer la performance des publicités"
    assert shown["purposes"]["7"]["illustrations"] == []
    assert shown["stacks"]["1"]["specialFeatures"] == [1, 2]  # texts translated, the rest as listed
    assert {k: shown[k] for k in gvl.HEADER_FIELDS} == {k: vendor_list.content[k] for k in gvl.HEADER_FIELDS}
    english = gvl.trimmed(vendor_list.content, vendor_ids=[], translation=None)
    assert english["vendors"] == {} and english["purposes"] == vendor_list.content["purposes"]
