"""Scan a property's pages: drive the browser (scanner.browser), judge what it saw (scanner.findings), store it.

The scan commits as it goes, so its progress is visible to the API and the console while it runs: one
commit per page visited, one with the result (or the reason it failed). Its caller claimed it first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from consent_service.banner.service import COOKIE_NAME
from consent_service.scanner import service as scans
from consent_service.scanner.findings import Assessment, Comparison, Declaration, assess, compare
from consent_service.scanner.knowledge import Knowledge
from consent_service.scanner.models import Scan
from consent_service.scanner.observations import Observation


class SiteScanner(Protocol):
    """What drives the browser: scanner.browser.scan_site, or anything with its signature."""

    def __call__(
        self, start_urls: Sequence[str], *, options: Any, progress: Callable[[int, int], None]
    ) -> Observation: ...


def run_scan(
    *,
    session: Session,
    scan_id: str,
    owner: str,
    service_origin: str,
    scan_site: SiteScanner,
    make_options: Callable[[dict[str, Any]], Any],
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Scan:
    """Run a claimed scan to its end and return it, done or failed; a failure is stored, then raised again."""
    scan = scans.get_scan(session=session, scan_id=scan_id)
    lease = scans.lease_seconds_for(scan)
    declarations = [
        Declaration(
            name_pattern=row.name_pattern,
            domain=row.domain,
            purpose=row.purpose,
            retention=row.retention,
            description=row.description,
            id=row.id,
        )
        for row in scans.list_declarations(session=session, property_id=scan.property_id)
    ]

    def report(done: int, total: int) -> None:
        scans.report_progress(
            session=session, scan_id=scan_id, owner=owner, done=done, total=total, now=clock(), lease_seconds=lease
        )
        session.commit()
        progress(done, total)

    try:
        observation = scan_site(list(scan.urls), options=make_options(dict(scan.options)), progress=report)
        assessment = assess(
            observation,
            declarations=declarations,
            knowledge=Knowledge.load(),
            service_origin=service_origin,
            consent_cookie=COOKIE_NAME,
        )
    except Exception as error:
        session.rollback()
        scans.fail_scan(session=session, scan_id=scan_id, owner=owner, error=_reason(error), now=clock())
        session.commit()
        raise
    scans.finish_scan(
        session=session,
        scan_id=scan_id,
        owner=owner,
        assessment=assessment.to_json(),
        screenshots={state.value: png for state, png in observation.screenshots.items()},
        now=clock(),
    )
    session.commit()
    return scans.get_scan(session=session, scan_id=scan_id)


def comparison_with_previous(*, session: Session, scan: Scan) -> tuple[str, Comparison] | None:
    """The property's previous finished scan and what changed since, or None when there is none to compare."""
    if scan.assessment is None:
        return None
    previous = scans.previous_scan(session=session, scan=scan)
    if previous is None or previous.assessment is None:
        return None
    return previous.id, compare(Assessment.from_json(previous.assessment), Assessment.from_json(scan.assessment))


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
