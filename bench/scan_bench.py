"""The compliance scanner on a 50-page site: page visits per minute and peak memory (issue 20).

A site of N pages that link to each other is served on 127.0.0.2; each page loads the real banner from the
service (gunicorn, production settings, SQLite) and one blocked analytics script. The scanner visits every
page in its three states (no choice, after "reject all", after "accept all"), so a run is 3 x N page visits.
Memory is the peak of the summed resident set of this process and every process below it (Chromium's
browser, renderers, GPU and utility processes), sampled every 50 ms from /proc.

    .venv/bin/python bench/scan_bench.py [--pages 50] [--runs 3] [--delay 0]

The polite delay between page loads (SCANNER_DELAY_SECONDS, 1 s by default) is set to 0 here, so the figure
is the scanner's own speed; with the default delay a 50-page scan takes at least 150 s longer.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.suite import free_port, service_env, wait_up  # noqa: E402
from consent_service.scanner.browser import ScanOptions, scan_site  # noqa: E402

SITE_HOST = "127.0.0.2"
ANALYTICS = b'document.cookie = "_ga=GA1.1.1; path=/; max-age=63072000; SameSite=Lax";'


def page(number: int, pages: int, service: str, key: str) -> bytes:
    linked = [(number + step) % pages for step in (1, 2, 3)]
    links = "".join(f'<li><a href="/p{other}">Page {other}</a></li>' for other in linked)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page {number}</title>'
        f'<script src="{service}/consent.js" data-property="{key}" async></script></head>'
        f"<body><h1>Page {number}</h1><p>{'Some text. ' * 200}</p><ul>{links}</ul>"
        '<script type="text/plain" data-consent="analytics" src="/analytics.js"></script></body></html>'
    ).encode()


@contextmanager
def site(pages: int, banner: dict[str, str]) -> Iterator[str]:
    """The site; `banner` gets the service's URL and the property's key once they exist (they need its origin)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/analytics.js":
                body, kind = ANALYTICS, "text/javascript"
            elif self.path == "/" or self.path.startswith("/p"):
                number = int(self.path[2:] or 0) if self.path != "/" else 0
                body, kind = page(number % pages, pages, banner["service"], banner["key"]), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # one line per page would drown the figures

    server = ThreadingHTTPServer((SITE_HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{SITE_HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def service(origin: str) -> Iterator[tuple[str, str]]:
    """The service under gunicorn on a fresh SQLite database, and a property for the site's origin."""
    folder = Path(tempfile.mkdtemp(prefix="consent-scan-bench-"))
    port = free_port()
    env = service_env(f"sqlite:///{folder / 'consent.db'}") | {"TOKEN_ISSUER": f"http://127.0.0.1:{port}"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    key = subprocess.run(
        [*flask, "properties", "create", "--name", "Scan bench", "--origin", origin,
         "--notice-version", "2026-01-01", "--notice-url", f"http://{SITE_HOST}/notice"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()
    log = (folder / "gunicorn.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", key
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and every process below it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents[int(entry.name)] = int(stat[1])
        rss[int(entry.name)] = int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def measured_scan(url: str, pages: int, delay: float) -> tuple[float, int, int]:
    """(seconds, page visits, peak bytes) of one scan."""
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(os.getpid()))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    observation = scan_site(
        [url], options=ScanOptions(max_pages=pages, page_seconds=30, total_seconds=3600, delay_seconds=delay)
    )
    seconds = time.monotonic() - started
    stop.set()
    sampler.join()
    visits = sum(1 for visit in observation.pages if visit.error is None)
    return seconds, visits, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between page loads (the polite rate)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    banner: dict[str, str] = {}
    with site(args.pages, banner) as url, service(url) as (banner["service"], banner["key"]):
        runs = [measured_scan(url, args.pages, args.delay) for _ in range(args.runs)]
    for number, (seconds, visits, peak) in enumerate(runs, 1):
        print(f"run {number}: {visits} page visits in {seconds:.1f} s = {visits / seconds * 60:.0f}/min, "
              f"peak {peak / 2**20:.0f} MiB")
    rate = statistics.median(visits / seconds * 60 for seconds, visits, _ in runs)
    peak = statistics.median(peak for _, _, peak in runs)
    print(f"median of {args.runs}: {rate:.0f} page visits per minute, peak memory {peak / 2**20:.0f} MiB "
          f"({args.pages} pages x 3 states, delay {args.delay} s)")


if __name__ == "__main__":
    main()
