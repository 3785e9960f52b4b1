"""Fixtures for the scanner's tests: the test site (tests/scanner/site.py), with or without a real banner."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import CHROMIUM, run_flask
from tests.e2e.gunicorn import serving
from tests.scanner.site import TestSite, serving_site


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium, which the scanner drives; skips (fails in CI) where it is missing."""
    from tests.conftest import unavailable

    if not Path(CHROMIUM).exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def bare_site() -> Iterator[TestSite]:
    """The test site and its tracker without a banner: for what needs no consent service (scope, bounds)."""
    with serving_site() as site:
        yield site


@pytest.fixture
def scan_site_server(database_url: str) -> Iterator[TestSite]:
    """The test site with the real banner: gunicorn (production settings) on SQLite and on PostgreSQL, a property
    whose allowed origin is the site's, and `site.service_url` / `site.publishable_key` set. No defects until the
    test assigns `site.defects` (e.g. `site.defects = EVERY_DEFECT`)."""
    with serving_site() as site, serving(database_url, name="scanner-service") as service:
        site.publishable_key = run_flask(
            service.env, "properties", "create", "--name", "Scanned shop", "--origin", site.origin,
            "--notice-version", "2026-01-01", "--notice-url", f"{site.origin}/about",
        ).stdout.strip()
        site.service_url = service.url
        site.service_env = service.env
        yield site
