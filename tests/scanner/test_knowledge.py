"""The knowledge base: the packaged Open Cookie Database and its lookups by cookie name and request host."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from consent_service.scanner import hosts
from consent_service.scanner.data import convert_open_cookie_database as convert
from consent_service.scanner.knowledge import Entry, Knowledge

PURPOSES = {"necessary", "preferences", "analytics", "advertising"}


def entry(name: str, purpose: str, *, domain: str = "", wildcard: bool = False, platform: str = "P") -> Entry:
    return Entry(name, wildcard, domain, purpose, platform, "1 year", f"{name} on {domain or 'any domain'}")


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load()


def test_google_analytics_cookies_are_analytics_and_the_facebook_pixel_advertising(knowledge):
    assert knowledge.cookie("_ga", ".shop.example").purpose == "analytics"
    assert knowledge.cookie("_gid", "shop.example").purpose == "analytics"
    assert knowledge.cookie("_fbp", ".shop.example").purpose == "advertising"


def test_a_wildcard_entry_matches_by_prefix(knowledge):
    found = knowledge.cookie("_ga_X1Y2Z3", "shop.example")
    assert (found.name, found.wildcard, found.purpose) == ("_ga_", True, "analytics")


def test_an_unknown_name_is_not_found(knowledge):
    assert knowledge.cookie("surely_nobody_calls_a_cookie_this", "shop.example") is None


def test_request_hosts_match_on_whole_labels_and_never_by_ip(knowledge):
    assert knowledge.host("www.google-analytics.com").purpose == "analytics"
    assert knowledge.host("www.google-analytics.com:443").domain == "google-analytics.com"
    assert knowledge.host("stats.g.doubleclick.net").purpose == "advertising"
    assert knowledge.host("notgoogle-analytics.com") is None
    assert knowledge.host("127.0.0.1") is None
    assert knowledge.host("[::1]:8080") is None


def test_the_packaged_data_is_converted_to_our_purposes_and_normalized_domains(knowledge):
    assert len(knowledge.entries) > 2000
    assert {found.purpose for found in knowledge.entries} == PURPOSES
    for found in knowledge.entries:
        assert found.name
        assert found.domain == "" or found.domain == hosts.normalize(found.domain), found
        assert not found.domain.startswith("www."), found
        assert "(" not in found.domain and " " not in found.domain, found


def test_the_data_names_its_source_commit_and_licence():
    data = json.loads((resources.files("consent_service.scanner") / "data" / "open-cookie-database.json").read_text())
    assert data["source"] == "https://github.com/jkwakman/Open-Cookie-Database"
    assert len(data["commit"]) == 40 and data["license"] == "Apache-2.0"
    licence = (resources.files("consent_service.scanner") / "data" / "LICENSE-open-cookie-database").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence


def test_exact_name_wins_over_a_prefix_and_the_longest_prefix_over_a_shorter():
    knowledge = Knowledge([entry("_x", "advertising", wildcard=True), entry("_x_a", "analytics", wildcard=True)])
    assert knowledge.cookie("_x_abc", "a.example").purpose == "analytics"
    assert knowledge.cookie("_xyz", "a.example").purpose == "advertising"
    exact = Knowledge([*knowledge.entries, entry("_x_abc", "preferences")])
    assert exact.cookie("_x_abc", "a.example").purpose == "preferences"


def test_among_entries_of_one_name_the_one_whose_domain_covers_the_cookie_wins():
    knowledge = Knowledge(
        [entry("id", "preferences"), entry("id", "advertising", domain="ads.example"), entry("id", "analytics", domain="stats.example")]
    )
    assert knowledge.cookie("id", ".stats.example").purpose == "analytics"
    assert knowledge.cookie("id", "eu.ads.example").purpose == "advertising"
    assert knowledge.cookie("id", "shop.example").purpose == "preferences"


def test_a_host_known_for_several_purposes_takes_the_strictest_and_the_longest_domain_wins():
    knowledge = Knowledge(
        [
            entry("a", "necessary", domain="tracker.example"),
            entry("b", "advertising", domain="tracker.example"),
            entry("c", "necessary", domain="login.tracker.example"),
        ]
    )
    assert knowledge.host("cdn.tracker.example").purpose == "advertising"
    assert knowledge.host("www.login.tracker.example").purpose == "necessary"


def test_load_reads_the_file_once():
    assert Knowledge.load() is Knowledge.load()


@pytest.mark.parametrize(
    ("raw", "domains"),
    [
        ("", [""]),
        ("www.googletagmanager.com", ["googletagmanager.com"]),
        ("facebook.com (3rd party)", ["facebook.com"]),
        (".bing.com (3rd party) or .microsoft.com (3rd party)", ["bing.com", "microsoft.com"]),
        ("google-analytics.com (3rd party) or ", ["google-analytics.com"]),
        (".commander1.com\u200b", ["commander1.com"]),
        ("ads-[account].adhese.com", ["adhese.com"]),
        ("Inspectlet.com (3rd party)", ["inspectlet.com"]),
        ("id5-sync", [""]),
    ],
)
def test_the_conversion_normalizes_the_databases_domains(raw, domains):
    assert convert.domains_of(raw) == domains


@pytest.mark.parametrize(
    ("raw", "wildcard", "expected"),
    [
        ("_ga", False, ("_ga", False)),
        ("_ga_", True, ("_ga_", True)),
        ("SSPR_*", False, ("SSPR_", True)),
        ("pagead/conv/%INTEGER%", False, ("pagead/conv/", True)),
        ("logglytrackings\xadession", False, ("logglytrackingsession", False)),
        ("ce_need_secure_cookie\t", False, ("ce_need_secure_cookie", False)),
    ],
)
def test_the_conversion_turns_stars_and_placeholders_into_prefixes(raw, wildcard, expected):
    assert convert.name_of(raw, wildcard) == expected


def test_the_conversion_maps_categories_and_skips_the_rest():
    row = {"ID": "1", "Platform": "P", "Domain": "", "Description": "d", "Retention period": "1 day", "Wildcard match": "0"}
    rows = [
        {**row, "Category": category, "Cookie / Data Key name": f"c_{category}"}
        for category in ("Functional", "Security", "Necessary", "Personalization", "Analytics", "Marketing", "Other")
    ]
    entries, skipped = convert.convert(rows)
    assert {entry[0]: entry[3] for entry in entries} == {
        "c_Functional": "necessary",
        "c_Security": "necessary",
        "c_Necessary": "necessary",
        "c_Personalization": "preferences",
        "c_Analytics": "analytics",
        "c_Marketing": "advertising",
    }
    assert len(skipped) == 1 and "Other" in skipped[0]
