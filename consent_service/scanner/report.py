"""An assessment as a person or a CI system reads it: a terminal report, JSON, JUnit XML, and the exit decision."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from enum import StrEnum

from consent_service.scanner.findings import WHEN, Assessment, Comparison, Finding, Item, ItemType, Kind, Source
from consent_service.scanner.observations import RESTRICTED_STATES

HEADINGS = {
    Kind.VIOLATION: ("Violations", "not necessary, yet there before a choice or after reject all"),
    Kind.GAP: ("Gaps", "set, but not declared"),
    Kind.STALE: ("Stale declarations", "declared, but never seen"),
}
SUITES = {Kind.VIOLATION: "violations", Kind.GAP: "gaps", Kind.STALE: "stale"}
NOUNS = {Kind.VIOLATION: "violation", Kind.GAP: "gap", Kind.STALE: "stale declaration"}


class FailOn(StrEnum):
    """What makes `--fail-on` fail a run: violations only, or gaps too (which includes violations)."""

    VIOLATIONS = "violations"
    GAPS = "gaps"


def failing(assessment: Assessment, fail_on: str) -> bool:
    """Whether the run fails; `fail_on` is "violations" or "gaps" (ValueError otherwise)."""
    kinds = {Kind.VIOLATION} if FailOn(fail_on) == FailOn.VIOLATIONS else {Kind.VIOLATION, Kind.GAP}
    return any(finding.kind in kinds for finding in assessment.findings)


def text(assessment: Assessment, comparison: Comparison | None = None) -> str:
    """For a terminal: the counts, each finding grouped by kind, what changed since `comparison`'s run, failed pages."""
    counts = assessment.counts
    failed = [page for page in assessment.pages if page.failed]
    lines = [
        "Compliance scan: " + ", ".join(_count(counts[kind], NOUNS[kind]) for kind in Kind),
        f"Pages: {len(assessment.pages)} visited, {len(failed)} failed",
    ]
    if assessment.banner_found:
        found = (f"{state} {'yes' if ok else 'NO'}" for state, ok in assessment.banner_found.items())
        lines.append("Banner found: " + ", ".join(found))
    if assessment.stopped_early:
        lines.append(f"Stopped early: {assessment.stopped_early} (pages after it were not scanned)")
    if comparison is not None:
        lines.append(
            f"Since the previous scan: {len(comparison.new)} new, {len(comparison.resolved)} resolved, "
            f"{comparison.unchanged} unchanged"
        )
    for kind in Kind:
        findings = [finding for finding in assessment.findings if finding.kind == kind]
        if findings:
            title, meaning = HEADINGS[kind]
            lines += ["", f"{title} ({len(findings)}): {meaning}"]
            lines += [line for finding in findings for line in _finding_lines(finding)]
    if comparison is not None:
        for title, changed in (("New since the previous scan", comparison.new), ("Resolved", comparison.resolved)):
            if changed:
                lines += ["", f"{title} ({len(changed)})"]
                lines += [f"  {finding.kind}: {finding.item_type} {finding.item}" for finding in changed]
    if failed:
        lines += ["", f"Pages that failed ({len(failed)})"]
        lines += [f"  {page.state} {page.url}: {page.error or f'status {page.status}'}" for page in failed]
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"  {finding.item_type} {finding.item}"]
    if finding.page:
        lines.append(f"    page:    {finding.page}")
    source = f", declaration {finding.declaration_id}" if finding.declaration_id else ""
    lines.append(f"    purpose: {finding.purpose} ({finding.source}{source})")
    if finding.states:
        lines.append(f"    states:  {', '.join(finding.states)}")
    if finding.set_by:
        lines.append(f"    set by:  {finding.set_by}")
    lines.append(f"    {finding.detail}")
    return lines


def as_json(assessment: Assessment, comparison: Comparison | None = None) -> str:
    document = {"assessment": assessment.to_json(), "comparison": comparison.to_json() if comparison else None}
    return json.dumps(document, indent=2, ensure_ascii=False)


def junit(assessment: Assessment, *, name: str) -> str:
    """JUnit XML: a suite per finding kind with a failing testcase per finding and a passing one per check that
    held, and a "scan" suite for the pages and the banner, so a CI system lists each problem by name."""
    root = ET.Element("testsuites", name=name)
    _suite(root, f"{name}.{SUITES[Kind.VIOLATION]}", _violation_cases(assessment))
    _suite(root, f"{name}.{SUITES[Kind.GAP]}", _gap_cases(assessment))
    _suite(root, f"{name}.{SUITES[Kind.STALE]}", _stale_cases(assessment))
    scan = _suite(root, f"{name}.scan", _scan_cases(assessment))
    if assessment.stopped_early:
        properties = ET.Element("properties")
        ET.SubElement(properties, "property", name="stopped_early", value=assessment.stopped_early)
        scan.insert(0, properties)
    for attribute in ("tests", "failures", "errors"):
        root.set(attribute, str(sum(int(suite.get(attribute, "0")) for suite in root)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# A testcase: its name, and the failure (message, body) or error (message) that fails it, if any.
Case = tuple[str, tuple[str, str] | None, str | None]


def _suite(root: ET.Element, suite_name: str, cases: Iterable[Case]) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    seen: set[str] = set()
    for case_name, failure, error in cases:
        if case_name in seen:
            continue
        seen.add(case_name)
        case = ET.SubElement(suite, "testcase", classname=suite_name, name=case_name)
        if failure is not None:
            ET.SubElement(case, "failure", message=failure[0], type="finding").text = failure[1]
        if error is not None:
            ET.SubElement(case, "error", message=error, type="page")
    testcases = list(suite)
    suite.set("tests", str(len(testcases)))
    suite.set("failures", str(sum(case.find("failure") is not None for case in testcases)))
    suite.set("errors", str(sum(case.find("error") is not None for case in testcases)))
    suite.set("skipped", "0")
    return suite


def _failed(finding: Finding) -> Case:
    body = "\n".join(line.strip() for line in _finding_lines(finding)[1:])
    return (f"{finding.item_type} {finding.item}", (finding.detail, body), None)


def _violation_cases(assessment: Assessment) -> Iterable[Case]:
    """A failure per violation; a pass per page visited in a restricted state where nothing unnecessary appeared."""
    items = {item.key: item for item in assessment.items}
    violations = [finding for finding in assessment.findings if finding.kind == Kind.VIOLATION]
    appeared = {
        (state, sighting.page)
        for finding in violations
        for state, sighting in items[(finding.item_type, finding.item)].seen.items()
        if state in RESTRICTED_STATES
    }
    yield from (_failed(finding) for finding in violations)
    for page in assessment.pages:
        if page.state in RESTRICTED_STATES and not page.failed and (page.state, page.url) not in appeared:
            yield (f"no violations {WHEN[page.state]} on {page.url}", None, None)


def _gap_cases(assessment: Assessment) -> Iterable[Case]:
    yield from (_failed(finding) for finding in assessment.findings if finding.kind == Kind.GAP)
    for item in assessment.items:
        if _declared(item):
            yield (f"declared: {item.item_type} {item.item}", None, None)


def _stale_cases(assessment: Assessment) -> Iterable[Case]:
    yield from (_failed(finding) for finding in assessment.findings if finding.kind == Kind.STALE)
    for item in assessment.items:
        if item.source == Source.OPERATOR and item.declaration_id:
            yield (f"declaration {item.declaration_id} is in use", None, None)


def _scan_cases(assessment: Assessment) -> Iterable[Case]:
    for state, found in assessment.banner_found.items():
        yield (f"banner found: {state}", None if found else ("the banner was not found", ""), None)
    for page in assessment.pages:
        error = (page.error or f"status {page.status}") if page.failed else None
        yield (f"{page.state} {page.url} loads", None, error)


def _declared(item: Item) -> bool:
    return item.item_type != ItemType.REQUEST and item.source in (Source.OPERATOR, Source.SERVICE)
