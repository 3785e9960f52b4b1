"""`flask scan URL...` for CI pipelines and `flask scans work`, the worker that runs scans started over the API."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from consent_service.errors import reports_service_errors
from consent_service.scanner.options import OPTION_DEFAULTS

if TYPE_CHECKING:
    from consent_service.scanner.findings import Assessment, Comparison
    from consent_service.scanner.models import Scan

log = logging.getLogger(__name__)

FORMATS = ("text", "json", "junit")


@click.command("scan")
@click.argument("urls", nargs=-1, required=True)
@click.option("--property", "publishable_key", required=True, help="The pk_... of the property the pages show.")
@click.option("--max-pages", default=OPTION_DEFAULTS["max_pages"], show_default=True, help="Pages per state.")
@click.option("--page-seconds", default=OPTION_DEFAULTS["page_seconds"], show_default=True, help="Per page.")
@click.option("--total-seconds", default=OPTION_DEFAULTS["total_seconds"], show_default=True, help="Whole scan.")
@click.option("--origin", "extra_origins", multiple=True, help="Another origin whose links may be followed.")
@click.option(
    "--fail-on",
    type=click.Choice(["violations", "gaps"]),
    default=None,
    help="Exit with 1 on violations, or on violations and gaps (undeclared cookies).",
)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file (e.g. a JUnit file for CI) rather than to standard output.",
)
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the findings as JUnit XML to this file, for a CI system to show.",
)
@with_appcontext
@reports_service_errors
def scan_command(
    urls: tuple[str, ...],
    publishable_key: str,
    max_pages: int,
    page_seconds: int,
    total_seconds: int,
    extra_origins: tuple[str, ...],
    fail_on: str | None,
    output_format: str,
    output: Path | None,
    junit_file: Path | None,
) -> None:
    """Scan pages before a choice, after "reject all" and after "accept all"; report and store what they set."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.flows.scan_property import comparison_with_previous
    from consent_service.properties import service as properties
    from consent_service.scanner import report
    from consent_service.scanner import service as scans
    from consent_service.scanner.findings import Assessment

    session = db.session()
    prop = properties.get_by_key(session=session, publishable_key=publishable_key)
    clock = current_app.config["CLOCK"]
    owner = _owner()
    scan = scans.create_scan(
        session=session,
        property_id=prop.id,
        urls=list(urls),
        options={
            "max_pages": max_pages,
            "page_seconds": page_seconds,
            "total_seconds": total_seconds,
            "extra_origins": list(extra_origins),
        },
        requested_by="cli",
        now=clock(),
    )
    # Queued and claimed in one transaction, so a scan worker never sees it queued.
    scans.claim_scan(
        session=session, owner=owner, lease_seconds=scans.lease_seconds_for(scan), now=clock(), scan_id=scan.id
    )
    session.commit()
    with click.progressbar(length=scan.pages_total, label="Scanning", file=sys.stderr, show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, done, 1)
            bar.update(done - bar.pos)

        done = _run(scan.id, owner, progress)
    if done.assessment is None:
        raise click.ClickException(f"Scan {done.id} failed: {done.error}")
    assessment = Assessment.from_json(done.assessment)
    previous = comparison_with_previous(session=session, scan=done)
    comparison = previous[1] if previous else None
    text = _render(output_format, assessment, comparison, name=f"consent scan {prop.publishable_key}")
    _write(text, output)
    if junit_file is not None:
        _write(_render("junit", assessment, None, name=f"consent scan {prop.publishable_key}"), junit_file)
    click.echo(f"Scan {done.id} stored: GET /v1/properties/{prop.id}/scans/{done.id}", err=True)
    if fail_on and report.failing(assessment, fail_on):
        sys.exit(1)


@click.group("scans")
def scans_group() -> None:
    """Compliance scans started over the API or the console."""


@scans_group.command("work")
@click.option("--once", is_flag=True, help="Run the scans queued now, then exit (cron, tests).")
@click.option("--poll-interval", default=2.0, show_default=True, type=click.FloatRange(0.1, 600))
@with_appcontext
def work(once: bool, poll_interval: float) -> None:
    """Run queued scans one at a time until SIGTERM or SIGINT, which let the scan in hand finish first."""
    from consent_service.extensions import db  # as in `scan`
    from consent_service.scanner import service as scans

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    owner = _owner()
    log.info("scan worker %s started", owner)
    session = db.session()
    clock = current_app.config["CLOCK"]
    while not stop.is_set():
        scan = scans.claim_scan(session=session, owner=owner, lease_seconds=scans.LEASE_SECONDS, now=clock())
        session.commit()
        if scan is None:
            if once:
                break
            stop.wait(poll_interval)
            continue
        log.info("scan %s of property %s started (%d start URLs)", scan.id, scan.property_id, len(scan.urls))
        done = _run(scan.id, owner, lambda done, total: None)
        log.info("scan %s %s: %s", done.id, done.status, done.counts or done.error)
    log.info("scan worker %s stopped", owner)


def _run(scan_id: str, owner: str, progress: Callable[[int, int], None]) -> Scan:
    """Run the scan; a failure (no Chromium, say) is stored on the scan and returned, not raised."""
    from consent_service.extensions import db
    from consent_service.flows.scan_property import run_scan
    from consent_service.runtime import runtime
    from consent_service.scanner import service as scans
    from consent_service.scanner.browser import ScanOptions, scan_site  # the optional `scan` extra

    settings = runtime().settings

    def options(stored: dict[str, Any]) -> ScanOptions:
        return ScanOptions(
            max_pages=stored["max_pages"],
            page_seconds=float(stored["page_seconds"]),
            total_seconds=float(stored["total_seconds"]),
            delay_seconds=float(settings.scanner_delay_seconds),
            extra_origins=tuple(stored.get("extra_origins") or ()),
            chromium=settings.scanner_chromium,
        )

    session = db.session()
    try:
        return run_scan(
            session=session,
            scan_id=scan_id,
            owner=owner,
            service_origin=settings.token_issuer,
            scan_site=scan_site,
            make_options=options,
            clock=current_app.config["CLOCK"],
            progress=progress,
        )
    except Exception:  # stored on the scan by run_scan: the caller reports it
        log.exception("scan %s failed", scan_id)
        return scans.get_scan(session=session, scan_id=scan_id)


def _render(output_format: str, assessment: Assessment, comparison: Comparison | None, *, name: str) -> str:
    from consent_service.scanner import report

    if output_format == "json":
        return report.as_json(assessment, comparison)
    if output_format == "junit":
        return report.junit(assessment, name=name)
    return report.text(assessment, comparison)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
        return
    output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
