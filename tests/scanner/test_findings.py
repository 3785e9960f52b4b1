"""The assessment: classification, violations, gaps, stale declarations, the JSON round trip and comparison."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent_service.scanner.findings import (
    Assessment,
    Declaration,
    ItemType,
    Kind,
    Source,
    assess,
    compare,
    service_declarations,
)
from consent_service.scanner.knowledge import Knowledge
from consent_service.scanner.observations import (
    RESTRICTED_STATES,
    CookieSeen,
    Observation,
    PageVisit,
    Party,
    RequestSeen,
    State,
    StorageArea,
    StorageSeen,
)
from tests.scanner import observed
from tests.scanner.observed import (
    ABOUT,
    CONSENT_COOKIE,
    DECLARATIONS,
    HOME,
    LEGACY_JS,
    NEVER_SET,
    PIXEL_HOST,
    PIXEL_JS,
    SERVICE_ORIGIN,
    THEME_JS,
)

KNOWLEDGE = Knowledge.load()


def run(observation: Observation, declarations=DECLARATIONS) -> Assessment:
    return assess(
        observation,
        declarations=declarations,
        knowledge=KNOWLEDGE,
        service_origin=SERVICE_ORIGIN,
        consent_cookie=CONSENT_COOKIE,
    )


def by_kind(assessment: Assessment, kind: Kind):
    return [finding for finding in assessment.findings if finding.kind == kind]


def item(assessment: Assessment, item_type: ItemType, name: str):
    (found,) = [candidate for candidate in assessment.items if candidate.item_type == item_type and candidate.name == name]
    return found


def test_the_shop_without_defects_has_no_findings():
    assessment = run(observed.clean_shop())
    assert assessment.findings == ()
    assert assessment.counts == {Kind.VIOLATION: 0, Kind.GAP: 0, Kind.STALE: 0}


def test_the_four_defects_give_two_violations_one_gap_and_one_stale_declaration():
    assessment = run(observed.defective_shop(), [*DECLARATIONS, NEVER_SET])
    assert assessment.counts == {Kind.VIOLATION: 2, Kind.GAP: 1, Kind.STALE: 1}
    analytics, pixel = by_kind(assessment, Kind.VIOLATION)

    # (a) `_ga` before consent, by a script outside the banner's blocking.
    assert (analytics.item_type, analytics.item, analytics.page) == (ItemType.COOKIE, "_ga (shop.example)", HOME)
    assert analytics.states == (State.NO_CHOICE, State.REJECTED)
    assert (analytics.purpose, analytics.source, analytics.declaration_id) == ("analytics", Source.OPERATOR, "ckd_ga")
    assert analytics.set_by == LEGACY_JS

    # (b) a pixel after reject: unknown to everyone, so it fails closed.
    assert (pixel.item_type, pixel.item, pixel.page, pixel.states) == (ItemType.REQUEST, PIXEL_HOST, ABOUT, (State.REJECTED,))
    assert (pixel.purpose, pixel.source, pixel.set_by) == ("unknown", Source.UNKNOWN, PIXEL_JS)
    assert "not classified: declare it as necessary if it is" in pixel.detail

    # (c) an undeclared preferences cookie, only after accept: a gap, not a violation.
    (gap,) = by_kind(assessment, Kind.GAP)
    assert (gap.item, gap.page, gap.states, gap.set_by) == ("sidebarPinned (shop.example)", ABOUT, (State.ACCEPTED,), THEME_JS)
    assert (gap.purpose, gap.source) == ("preferences", Source.KNOWLEDGE)
    suggestion = item(assessment, ItemType.COOKIE, "sidebarPinned").suggestion
    assert suggestion.purpose == "preferences" and suggestion.platform == "Salesforce"

    # (d) declared, never set.
    (stale,) = by_kind(assessment, Kind.STALE)
    assert (stale.item_type, stale.item, stale.page, stale.declaration_id) == (
        ItemType.DECLARATION,
        "newsletter_seen",
        None,
        "ckd_newsletter",
    )


def test_the_consent_cookie_and_the_key_cache_are_the_services_and_never_findings():
    assessment = run(observed.defective_shop(), [])  # the operator declares nothing
    consent = item(assessment, ItemType.COOKIE, CONSENT_COOKIE)
    keys = item(assessment, ItemType.STORAGE, "consent_keys")
    for own in (consent, keys):
        assert (own.purpose, own.source) == ("necessary", Source.SERVICE)
    assert keys.item == "localStorage:consent_keys (https://shop.example)"
    named = {finding.item for finding in assessment.findings}
    assert consent.item not in named and keys.item not in named


def test_the_service_declarations_name_what_the_banner_sets():
    own = service_declarations(service_origin=SERVICE_ORIGIN, consent_cookie="my_consent")
    assert [(declaration.name_pattern, declaration.purpose, declaration.id) for declaration in own] == [
        ("my_consent", "necessary", None),
        ("consent_keys", "necessary", None),
    ]
    for declaration in own:
        assert set(declaration.description) == {"en", "de", "fr"}
        assert all("consent.example.net" in text for text in declaration.description.values())


def test_requests_to_the_service_origin_are_necessary_whatever_the_port():
    assessment = run(observed.clean_shop())
    banner = item(assessment, ItemType.REQUEST, "consent.example.net:8443")
    assert (banner.purpose, banner.source, banner.party) == ("necessary", Source.SERVICE, Party.THIRD)
    assert banner.states == (State.NO_CHOICE, State.REJECTED, State.ACCEPTED)


@pytest.mark.parametrize(
    ("service_origin", "requested", "own"),
    [
        ("https://consent.example.net", "consent.example.net", True),
        ("https://consent.example.net:443", "consent.example.net", True),
        ("https://consent.example.net:8443", "consent.example.net:8443", True),
        ("http://127.0.0.2:5000", "127.0.0.2:5000", True),
        ("http://127.0.0.2:5000", "127.0.0.2:9000", False),  # another service on the same host
        ("https://consent.example.net", "cdn.consent.example.net", False),
    ],
)
def test_a_request_is_the_services_own_on_its_host_and_port(service_origin, requested, own):
    observation = Observation(start_urls=[HOME])
    observation.requests.append(RequestSeen(f"http://{requested}/x.js", requested, requested, HOME, State.NO_CHOICE))
    assessment = assess(
        observation, declarations=[], knowledge=KNOWLEDGE, service_origin=service_origin, consent_cookie="c"
    )
    assert (item(assessment, ItemType.REQUEST, requested).source == Source.SERVICE) is own
    assert (assessment.findings == ()) is own


def test_the_service_host_does_not_declare_the_sites_cookies_when_they_share_a_host():
    observation = Observation(start_urls=["http://127.0.0.1:5000/"])
    observation.cookies.append(
        CookieSeen("tracker", "127.0.0.1", "/", None, Party.FIRST, "http://127.0.0.1:5000/", State.NO_CHOICE)
    )
    assessment = assess(
        observation, declarations=[], knowledge=KNOWLEDGE, service_origin="http://127.0.0.1:5000", consent_cookie="c"
    )
    assert [(finding.kind, finding.purpose) for finding in assessment.findings] == [
        (Kind.VIOLATION, "unknown"),
        (Kind.GAP, "unknown"),
    ]


def test_an_unknown_item_is_never_necessary():
    observation = Observation(start_urls=[HOME])
    observation.cookies.append(CookieSeen("zq_made_up", "shop.example", "/", None, Party.FIRST, HOME, State.NO_CHOICE))
    observation.storage.append(StorageSeen(StorageArea.SESSION, "zq_key", "https://shop.example", HOME, State.REJECTED))
    assessment = run(observation, [])
    assert {(entry.purpose, entry.source) for entry in assessment.items} == {("unknown", Source.UNKNOWN)}
    assert {finding.item for finding in by_kind(assessment, Kind.VIOLATION)} == {
        "zq_made_up (shop.example)",
        "sessionStorage:zq_key (https://shop.example)",
    }


def test_the_knowledge_base_classifies_what_the_operator_did_not_declare():
    observation = Observation(start_urls=[HOME])
    observation.cookies += [
        CookieSeen("_gid", ".shop.example", "/", None, Party.FIRST, HOME, State.NO_CHOICE),
        CookieSeen("_fbp", ".shop.example", "/", None, Party.FIRST, HOME, State.NO_CHOICE),
    ]
    assessment = run(observation, [])
    assert item(assessment, ItemType.COOKIE, "_gid").purpose == "analytics"
    assert item(assessment, ItemType.COOKIE, "_fbp").purpose == "advertising"
    assert {(finding.kind, finding.source) for finding in assessment.findings} == {
        (Kind.VIOLATION, Source.KNOWLEDGE),
        (Kind.GAP, Source.KNOWLEDGE),
    }


def test_operator_declarations_outrank_the_knowledge_base():
    observation = Observation(start_urls=[HOME])
    observation.cookies.append(CookieSeen("_fbp", ".shop.example", "/", None, Party.FIRST, HOME, State.NO_CHOICE))
    observation.requests.append(
        RequestSeen("https://www.google-analytics.com/g/collect", "www.google-analytics.com", "google-analytics.com", HOME, State.NO_CHOICE)
    )
    declarations = [
        Declaration("_fbp", "shop.example", "necessary", id="ckd_fbp"),
        Declaration("*", "google-analytics.com", "necessary", id="ckd_host"),
    ]
    assessment = run(observation, declarations)
    assert assessment.findings == ()
    for classified in assessment.items:
        assert (classified.purpose, classified.source, classified.suggestion) == ("necessary", Source.OPERATOR, None)


def test_the_most_specific_declaration_wins():
    observation = Observation(start_urls=[HOME])
    observation.cookies.append(CookieSeen("_ga", ".shop.example", "/", None, Party.FIRST, HOME, State.ACCEPTED))
    declarations = [
        Declaration("*", None, "necessary", id="any"),
        Declaration("_g*", "shop.example", "preferences", id="glob_on_domain"),
        Declaration("_ga", "shop.example", "analytics", id="literal_on_domain"),
        Declaration("_ga", None, "advertising", id="literal_anywhere"),
    ]
    classified = item(run(observation, declarations), ItemType.COOKIE, "_ga")
    assert (classified.purpose, classified.declaration_id) == ("analytics", "literal_on_domain")


@pytest.mark.parametrize(
    ("domain", "cookie_domain", "covered"),
    [
        (None, "anything.example", True),
        ("shop.example", ".shop.example", True),
        ("shop.example", "eu.shop.example", True),
        ("shop.example", "myshop.example", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("0.0.1", "127.0.0.1", False),
    ],
)
def test_a_declaration_domain_covers_itself_and_its_subdomains_an_ip_only_itself(domain, cookie_domain, covered):
    observation = Observation(start_urls=[HOME])
    observation.cookies.append(CookieSeen("id", cookie_domain, "/", None, Party.FIRST, HOME, State.ACCEPTED))
    assessment = run(observation, [Declaration("id", domain, "preferences", id="ckd")])
    assert (item(assessment, ItemType.COOKIE, "id").source == Source.OPERATOR) is covered


def test_a_star_declaration_on_a_domain_is_in_use_when_a_request_went_there():
    observation = Observation(start_urls=[HOME])
    observation.requests.append(RequestSeen(f"https://{PIXEL_HOST}/p.gif", PIXEL_HOST, "tracker.example", HOME, State.ACCEPTED))
    declarations = [
        Declaration("*", "tracker.example", "advertising", id="by_request"),
        Declaration("pix*", "tracker.example", "advertising", id="needs_a_cookie"),
    ]
    assessment = run(observation, declarations)
    assert [finding.declaration_id for finding in by_kind(assessment, Kind.STALE)] == ["needs_a_cookie"]
    assert item(assessment, ItemType.REQUEST, PIXEL_HOST).declaration_id == "by_request"


def test_a_request_is_classified_only_by_declarations_naming_a_domain():
    observation = Observation(start_urls=[HOME])
    observation.requests.append(RequestSeen(f"https://{PIXEL_HOST}/p.gif", PIXEL_HOST, "tracker.example", HOME, State.NO_CHOICE))
    assessment = run(observation, [Declaration("*", None, "necessary", id="everything")])
    assert item(assessment, ItemType.REQUEST, PIXEL_HOST).source == Source.UNKNOWN
    assert [finding.kind for finding in assessment.findings] == [Kind.VIOLATION, Kind.STALE]


def test_findings_are_sorted_by_kind_then_type_then_item():
    assessment = run(observed.defective_shop(), [*DECLARATIONS, NEVER_SET])
    assert [finding.kind for finding in assessment.findings] == [Kind.VIOLATION, Kind.VIOLATION, Kind.GAP, Kind.STALE]
    reordered = observed.defective_shop()
    reordered.cookies.reverse()
    reordered.requests.reverse()
    assert run(reordered, [NEVER_SET, *DECLARATIONS]).findings == assessment.findings


def test_the_assessment_keeps_the_pages_the_banner_and_an_early_stop():
    observation = observed.clean_shop()
    observation.pages.append(PageVisit(f"{observed.SITE}/slow", State.ACCEPTED, None, "timeout"))
    observation.stopped_early = "page limit"
    observation.banner_found[State.REJECTED] = False
    assessment = run(observation)
    assert assessment.pages[-1].failed and not assessment.pages[0].failed
    assert assessment.stopped_early == "page limit"
    assert assessment.banner_found == {State.NO_CHOICE: True, State.REJECTED: False, State.ACCEPTED: True}


def test_the_json_round_trips_exactly():
    assessment = run(observed.defective_shop(), [*DECLARATIONS, NEVER_SET])
    stored = json.loads(json.dumps(assessment.to_json()))
    assert Assessment.from_json(stored) == assessment
    assert Assessment.from_json(stored).to_json() == stored
    assert stored["counts"] == {"violation": 2, "gap": 1, "stale": 1}
    # PostgreSQL's jsonb keeps its own key order: the states' order comes back all the same.
    reordered = Assessment.from_json(json.loads(json.dumps(assessment.to_json(), sort_keys=True)))
    assert reordered == assessment
    assert [(entry.states, entry.page) for entry in reordered.items] == [(entry.states, entry.page) for entry in assessment.items]
    assert list(reordered.banner_found) == list(State)


def test_compare_names_new_and_resolved_findings_and_counts_the_rest():
    before = run(observed.defective_shop(), [*DECLARATIONS, NEVER_SET])
    fixed = observed.defective_shop()
    fixed.cookies = [seen for seen in fixed.cookies if not (seen.name == "_ga" and seen.state in RESTRICTED_STATES)]
    fixed.cookies.append(CookieSeen("zq_new", "shop.example", "/", None, Party.FIRST, ABOUT, State.ACCEPTED))
    after = run(fixed, [*DECLARATIONS, NEVER_SET])
    comparison = compare(before, after)
    assert [(finding.kind, finding.item) for finding in comparison.new] == [(Kind.GAP, "zq_new (shop.example)")]
    assert [(finding.kind, finding.item) for finding in comparison.resolved] == [(Kind.VIOLATION, "_ga (shop.example)")]
    assert comparison.unchanged == 3
    assert comparison.to_json()["unchanged"] == 3
    assert compare(after, after).new == () and compare(after, after).unchanged == len(after.findings)


NAMES = st.sampled_from(["_ga", "_gid", "_fbp", "session", "consent_token", "zq_x", "théme"])
PAGES = st.sampled_from([HOME, ABOUT])
STATES = st.sampled_from(list(State))
MAYBE_SCRIPT = st.none() | st.sampled_from([LEGACY_JS, PIXEL_JS])
COOKIES = st.builds(
    CookieSeen,
    name=NAMES,
    domain=st.sampled_from(["shop.example", ".shop.example", "127.0.0.1"]),
    path=st.just("/"),
    expires=st.none() | st.floats(min_value=0, max_value=4e9, allow_nan=False),
    party=st.sampled_from(list(Party)),
    page=PAGES,
    state=STATES,
    set_by=MAYBE_SCRIPT,
)
STORAGE = st.builds(
    StorageSeen,
    area=st.sampled_from(list(StorageArea)),
    key=NAMES,
    origin=st.sampled_from(["https://shop.example", "https://cdn.shop.example:8443"]),
    page=PAGES,
    state=STATES,
    set_by=MAYBE_SCRIPT,
)
HOSTS = st.sampled_from(["www.google-analytics.com", PIXEL_HOST, "consent.example.net:8443", "[::1]:9000"])
REQUESTS = HOSTS.flatmap(
    lambda host: st.builds(RequestSeen, url=st.just(f"https://{host}/x"), host=st.just(host), site=st.just(host),
                           page=PAGES, state=STATES, initiator=MAYBE_SCRIPT)
)
DECLARED = st.lists(
    st.builds(
        Declaration,
        name_pattern=st.sampled_from(["_ga", "_g*", "*", "zq_?", "session"]),
        domain=st.none() | st.sampled_from(["shop.example", "tracker.example", "127.0.0.1"]),
        purpose=st.sampled_from(["necessary", "analytics", "advertising", "preferences"]),
        id=st.none() | st.text(string.ascii_lowercase, min_size=1, max_size=5),
    ),
    max_size=5,
    unique_by=lambda declaration: (declaration.name_pattern, declaration.domain),  # the store refuses duplicates
)


@settings(max_examples=100, deadline=None)
@given(cookies=st.lists(COOKIES, max_size=8), storage=st.lists(STORAGE, max_size=4), requests=st.lists(REQUESTS, max_size=4), declarations=DECLARED)
def test_any_assessment_round_trips_and_keeps_the_rules(cookies, storage, requests, declarations):
    observation = Observation([HOME], cookies=cookies, storage=storage, requests=requests)
    assessment = run(observation, declarations)
    assert Assessment.from_json(json.loads(json.dumps(assessment.to_json()))) == assessment
    for classified in assessment.items:
        assert classified.source != Source.UNKNOWN or classified.purpose == "unknown"
        restricted = set(classified.states) & set(RESTRICTED_STATES)
        violated = any(finding.key == (Kind.VIOLATION, *classified.key) for finding in assessment.findings)
        assert violated == (bool(restricted) and classified.purpose != "necessary")
    for finding in assessment.findings:
        assert set(finding.states) <= set(RESTRICTED_STATES) or finding.kind != Kind.VIOLATION
    assert len({finding.key for finding in assessment.findings}) == len(assessment.findings)


def test_a_cookie_seen_twice_in_a_state_keeps_its_first_page_who_set_it_and_its_latest_expiry():
    observation = Observation(start_urls=[HOME])
    observation.cookies += [
        CookieSeen("_gid", ".shop.example", "/", 1_800_000_000.0, Party.FIRST, HOME, State.ACCEPTED),
        CookieSeen("_gid", "shop.example", "/basket", 1_900_000_000.0, Party.FIRST, ABOUT, State.ACCEPTED, LEGACY_JS),
        CookieSeen("_gid", ".shop.example", "/", None, Party.FIRST, ABOUT, State.REJECTED),
    ]
    seen = item(run(observation, []), ItemType.COOKIE, "_gid")
    assert (seen.page, seen.states, seen.set_by, seen.expires) == (ABOUT, (State.REJECTED, State.ACCEPTED), LEGACY_JS, 1_900_000_000.0)
    assert seen.seen[State.ACCEPTED].page == HOME
