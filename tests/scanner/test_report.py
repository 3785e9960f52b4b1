"""The reports: the terminal text, the JSON, the JUnit XML a CI system reads, and `--fail-on`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from consent_service.scanner import report
from consent_service.scanner.findings import Assessment, Kind, assess, compare
from consent_service.scanner.knowledge import Knowledge
from consent_service.scanner.observations import Observation, PageVisit, State
from tests.scanner import observed
from tests.scanner.observed import ABOUT, CONSENT_COOKIE, DECLARATIONS, HOME, LEGACY_JS, NEVER_SET, SERVICE_ORIGIN

KNOWLEDGE = Knowledge.load()


def run(observation: Observation, declarations=(*DECLARATIONS, NEVER_SET)) -> Assessment:
    return assess(
        observation,
        declarations=declarations,
        knowledge=KNOWLEDGE,
        service_origin=SERVICE_ORIGIN,
        consent_cookie=CONSENT_COOKIE,
    )


def defective() -> Assessment:
    observation = observed.defective_shop()
    observation.pages.append(PageVisit(f"{observed.SITE}/slow", State.REJECTED, None, "timeout after 30 s"))
    observation.stopped_early = "page limit"
    return run(observation)


def clean() -> Assessment:
    return run(observed.clean_shop(), DECLARATIONS)


def test_the_text_report_sums_up_then_lists_each_finding_and_the_failed_pages():
    output = report.text(defective())
    assert output.splitlines()[0] == "Compliance scan: 2 violations, 1 gap, 1 stale declaration"
    assert "Stopped early: page limit" in output
    violations = output.index("Violations (2)")
    gaps = output.index("Gaps (1)")
    stale = output.index("Stale declarations (1)")
    failed = output.index("Pages that failed (1)")
    assert violations < gaps < stale < failed
    first = output[violations:gaps]
    for expected in ("cookie _ga (shop.example)", f"page:    {HOME}", "states:  no_choice, rejected", LEGACY_JS):
        assert expected in first
    assert "not classified: declare it as necessary if it is" in first
    assert "sidebarPinned (shop.example)" in output[gaps:stale] and "Salesforce" in output[gaps:stale]
    assert "newsletter_seen" in output[stale:failed]
    assert "rejected https://shop.example/slow: timeout after 30 s" in output[failed:]


def test_the_text_report_of_a_clean_scan_has_no_sections():
    output = report.text(clean())
    assert output.splitlines()[0] == "Compliance scan: 0 violations, 0 gaps, 0 stale declarations"
    assert "Violations" not in output and "Pages that failed" not in output


def test_the_text_report_says_what_changed_since_the_previous_scan():
    output = report.text(clean(), compare(defective(), clean()))
    assert "Since the previous scan: 0 new, 4 resolved, 0 unchanged" in output
    assert "violation: cookie _ga (shop.example)" in output[output.index("Resolved (4)") :]


def test_the_json_report_holds_the_assessment_and_the_comparison():
    before, after = defective(), clean()
    document = json.loads(report.as_json(after, compare(before, after)))
    assert Assessment.from_json(document["assessment"]) == after
    assert len(document["comparison"]["resolved"]) == 4
    assert json.loads(report.as_json(before))["comparison"] is None


def suites(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    return {suite.get("name"): suite for suite in root.findall("testsuite")}


def test_the_junit_report_has_a_failure_per_finding_in_a_suite_per_kind():
    assessment = defective()
    parsed = suites(report.junit(assessment, name="shop"))
    assert set(parsed) == {"shop.violations", "shop.gaps", "shop.stale", "shop.scan"}
    failures = {
        (suite_name, case.get("name"), case.find("failure").get("message"))
        for suite_name, suite in parsed.items()
        for case in suite.findall("testcase")
        if case.find("failure") is not None
    }
    expected = {
        (f"shop.{report.SUITES[finding.kind]}", f"{finding.item_type} {finding.item}", finding.detail)
        for finding in assessment.findings
    }
    assert failures == expected
    for suite in parsed.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases)


def test_the_junit_report_passes_the_checks_that_held():
    parsed = suites(report.junit(defective(), name="shop"))
    passing = {case.get("name") for case in parsed["shop.violations"] if case.find("failure") is None}
    # `_ga` appeared on the home page in both restricted states, the pixel on /about after reject.
    assert passing == {f"no violations before a choice on {ABOUT}"}
    declared = {case.get("name") for case in parsed["shop.gaps"] if case.find("failure") is None}
    assert "declared: cookie consent_token (shop.example)" in declared
    slow = [case for case in parsed["shop.scan"] if case.get("name") == "rejected https://shop.example/slow loads"]
    assert slow[0].find("error").get("message") == "timeout after 30 s"
    assert parsed["shop.scan"].find("properties/property").get("value") == "page limit"


def test_the_junit_report_of_a_clean_scan_fails_nothing():
    root = ET.fromstring(report.junit(clean(), name="shop"))
    assert (root.get("failures"), root.get("errors")) == ("0", "0")
    assert int(root.get("tests")) > 0
    passing = {case.get("name") for case in root.iter("testcase")}
    assert f"no violations after reject all on {HOME}" in passing


def test_a_banner_not_found_fails_its_check():
    observation = observed.clean_shop()
    observation.banner_found[State.REJECTED] = False
    parsed = suites(report.junit(run(observation, DECLARATIONS), name="shop"))
    (case,) = [case for case in parsed["shop.scan"] if case.get("name") == "banner found: rejected"]
    assert case.find("failure") is not None


@pytest.mark.parametrize(
    ("assessment", "fail_on", "fails"),
    [
        ("clean", "violations", False),
        ("clean", "gaps", False),
        ("defective", "violations", True),
        ("defective", "gaps", True),
        ("gap_only", "violations", False),
        ("gap_only", "gaps", True),
        ("stale_only", "gaps", False),
    ],
)
def test_failing_on_violations_or_on_gaps_which_include_violations(assessment, fail_on, fails):
    gap_only = observed.clean_shop()
    gap_only.cookies.append(observed.cookie("zq_undeclared", State.ACCEPTED))
    built = {
        "clean": clean,
        "defective": defective,
        "gap_only": lambda: run(gap_only, DECLARATIONS),
        "stale_only": lambda: run(observed.clean_shop()),
    }[assessment]()
    assert report.failing(built, fail_on) is fails
    assert {Kind.VIOLATION: 0, Kind.GAP: 1, Kind.STALE: 0} == run(gap_only, DECLARATIONS).counts


def test_failing_refuses_an_unknown_threshold():
    with pytest.raises(ValueError):
        report.failing(clean(), "stale")
