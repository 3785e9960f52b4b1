"""Issue 20's acceptance, as an operator runs it: `flask scan` in a CI pipeline and the scan worker behind the API,
against the test site with the real banner (tests/scanner/site.py) and the shipped /demo page, on both databases."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

from tests.e2e.conftest import ROOT, run_flask
from tests.e2e.gunicorn import serving
from tests.scanner.site import EVERY_DEFECT, Defects, TestSite

PNG = b"\x89PNG\r\n\x1a\n"
FAST = {"SCANNER_DELAY_SECONDS": "0"}  # the polite rate is for real sites; the test site is on loopback


def admin(site: TestSite) -> dict[str, str]:
    assert site.service_env is not None
    key = run_flask(site.service_env, "keys", "create", "--name", "scan-admin", "--scope", "admin").stdout.strip()
    return {"Authorization": f"Bearer {key}"}


def property_id(site: TestSite, auth: dict[str, str]) -> str:
    listed = requests.get(f"{site.service_url}/v1/properties", headers=auth, timeout=10).json()
    return next(prop["id"] for prop in listed["properties"] if prop["publishable_key"] == site.publishable_key)


def declare(site: TestSite, auth: dict[str, str], prop: str) -> None:
    """What the operator declared: their analytics cookie and tracker, and (d) a cookie the site never sets."""
    for body in (
        {"name_pattern": "_ga", "purpose": "analytics", "retention": "2 years", "description": {"en": "Analytics."}},
        {
            "name_pattern": "*",
            "domain": "127.0.0.3",
            "purpose": "analytics",
            "retention": "2 years",
            "description": {"en": "Our analytics provider."},
        },
        {
            "name_pattern": "newsletter_seen",
            "purpose": "preferences",
            "retention": "1 year",
            "description": {"en": "Whether the newsletter box was closed."},
        },
    ):
        answer = requests.post(
            f"{site.service_url}/v1/properties/{prop}/cookie-declarations", headers=auth, json=body, timeout=10
        )
        assert answer.status_code == 201, answer.text


def scan(site: TestSite, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict, Path]:
    """`flask scan` of the site, as a CI job runs it: JSON report to a file, JUnit beside it."""
    assert site.service_env is not None and site.publishable_key is not None
    report, junit = tmp_path / "scan.json", tmp_path / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "scan", site.url, "--property", site.publishable_key, "--format", "json",
         "--output", str(report), "--junit", str(junit), *args],
        env=site.service_env | FAST, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode in (0, 1) and report.exists(), result.stdout + result.stderr
    return result, json.loads(report.read_text()), junit


def found(document: dict) -> set[tuple[str, str, str, str | None]]:
    return {
        (finding["kind"], finding["item_type"], finding["item"], finding["page"])
        for finding in document["assessment"]["findings"]
    }


def test_the_scan_finds_the_four_defects_and_nothing_else_then_passes_once_they_are_fixed(
    scan_site_server, chromium, tmp_path
):
    site = scan_site_server
    auth = admin(site)
    prop = property_id(site, auth)
    declare(site, auth, prop)
    tracker = site.tracker_origin.removeprefix("http://")
    site.defects = EVERY_DEFECT

    result, document, junit = scan(site, tmp_path, "--fail-on", "violations")

    assert result.returncode == 1, result.stderr
    assert found(document) == {
        ("violation", "cookie", "_ga (127.0.0.2)", site.url),  # (a) set before a choice and after the refusal
        ("violation", "request", tracker, site.url),  # (b) the pixel after "reject all"
        ("gap", "cookie", "site_lang (127.0.0.2)", site.url),  # (c) set after "accept all", declared nowhere
        ("stale", "declaration", "newsletter_seen", None),  # (d) declared, never set
    }
    by_item = {finding["item"]: finding for finding in document["assessment"]["findings"]}
    assert by_item["_ga (127.0.0.2)"]["states"] == ["no_choice", "rejected"]
    assert by_item["_ga (127.0.0.2)"]["set_by"] == f"{site.origin}/legacy-analytics.js"
    assert by_item[tracker]["states"] == ["rejected"]
    # The JUnit file a CI system shows: a failing test case per finding.
    failures = [case for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None]
    assert len(failures) == 4, ET.tostring(ET.parse(junit).getroot(), encoding="unicode")
    assert "Scanning" in result.stderr  # the progress bar

    site.defects = Defects()
    fixed, document, _ = scan(site, tmp_path, "--fail-on", "violations")

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert found(document) == {("stale", "declaration", "newsletter_seen", None)}
    resolved = {(finding["kind"], finding["item"]) for finding in document["comparison"]["resolved"]}
    assert resolved == {("violation", "_ga (127.0.0.2)"), ("violation", tracker), ("gap", "site_lang (127.0.0.2)")}

    # Both runs are stored with the property, the second compared with the first.
    scans = requests.get(f"{site.service_url}/v1/properties/{prop}/scans", headers=auth, timeout=10).json()
    assert [scan["status"] for scan in scans["scans"]] == ["done", "done"]


def test_a_scan_started_over_the_api_is_run_by_the_worker_with_progress_and_screenshots(
    scan_site_server, chromium
):
    site = scan_site_server
    assert site.service_env is not None
    auth = admin(site)
    prop = property_id(site, auth)
    site.defects = Defects(pixel_after_reject=True)
    base = f"{site.service_url}/v1/properties/{prop}/scans"

    started = requests.post(base, headers=auth, json={"urls": [site.url], "max_pages": 2}, timeout=10)
    assert started.status_code == 202, started.text
    scan_id = started.json()["id"]
    assert started.json()["status"] == "queued"
    run_flask(site.service_env | FAST, "scans", "work", "--once")

    done = requests.get(f"{base}/{scan_id}", headers=auth, timeout=10).json()
    assert done["status"] == "done", done
    assert done["progress"]["done"] == done["progress"]["total"] == 6  # 2 pages x 3 states
    assert done["counts"]["violation"] == 1
    for state in ("no_choice", "rejected", "accepted"):
        shot = requests.get(f"{base}/{scan_id}/screenshots/{state}", headers=auth, timeout=10)
        assert shot.status_code == 200 and shot.headers["Content-Type"] == "image/png"
        assert shot.content.startswith(PNG)


def test_the_shipped_demo_page_has_no_violations(database_url, chromium, tmp_path):
    with serving(database_url, name="scanner-demo", DEMO_PAGE="true") as service:
        seeded = run_flask(service.env, "demo", "seed").stdout
        key = next(word for word in seeded.split() if word.startswith("pk_"))
        result = subprocess.run(
            [sys.executable, "-m", "flask", "scan", f"{service.url}/demo", "--property", key, "--format", "json",
             "--fail-on", "violations"],
            env=service.env | FAST, cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assessment = document["assessment"]
    assert [f for f in assessment["findings"] if f["kind"] == "violation"] == []
    assert all(assessment["banner_found"].values())
    assert {page["state"] for page in assessment["pages"]} == {"no_choice", "rejected", "accepted"}
