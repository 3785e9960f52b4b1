"""A website on loopback for the scanner's tests: three pages, a tracker on another origin, switchable defects.

The site answers on 127.0.0.2, the tracker on 127.0.0.3 (two sites: an IP address is its own site), the
banner comes from a real consent service when one is given. Without defects the site is compliant: its
analytics (the tracker's script, which sets `_ga` through document.cookie) is blocked by the banner until
"accept all". Each defect is switched on by assigning `site.defects` before a scan; pages are rendered
per request, so no restart is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SITE_HOST = "127.0.0.2"
TRACKER_HOST = "127.0.0.3"
PAGES = {"/": "Home", "/about": "About us", "/contact": "Contact"}
# A 1x1 transparent GIF: what tracking pixels answer.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
ANALYTICS_JS = (
    'document.cookie = "_ga=GA1.1." + Math.floor(Math.random() * 1e9) + "; path=/; max-age=63072000; SameSite=Lax";\n'
    "window.__analyticsRan = (window.__analyticsRan || 0) + 1;\n"
)
SESSION_COOKIE = "sid=s-1; Path=/; HttpOnly; SameSite=Lax"
PREFERENCES_JS = 'document.cookie = "site_lang=en; path=/; max-age=31536000; SameSite=Lax";\n'


@dataclass(frozen=True)
class Defects:
    """What the site does wrong; all off is a compliant site."""

    # (a) a self-hosted copy of the analytics script as a plain tag, outside the banner's blocking: `_ga` before
    # any choice.
    analytics_outside_blocking: bool = False
    # (b) a pixel to the tracker on every `consent:change` with analytics off: the refusal is ignored.
    pixel_after_reject: bool = False
    # (c) a properly blocked `data-consent="preferences"` script setting `site_lang`: set after accept only,
    # a defect because no declaration names it. (d), a declared cookie the site never sets, is a
    # declaration and not site behaviour: declare one in the test.
    undeclared_preferences_cookie: bool = False


EVERY_DEFECT = Defects(analytics_outside_blocking=True, pixel_after_reject=True, undeclared_preferences_cookie=True)


@dataclass
class TestSite:
    """The running site. `url` is its home page; `pages` every page, linked from each other."""

    __test__ = False  # a helper, not a test class, whatever its name

    url: str
    pages: list[str]
    tracker_origin: str
    slow_url: str  # a page that answers only when the site stops: for the scanner's time bound
    away_url: str  # a page that redirects to the tracker's origin: out of any scan's scope
    service_url: str | None = None  # the consent service the banner comes from; None: no banner
    publishable_key: str | None = None
    service_env: dict[str, str] | None = None  # the environment `flask` commands of that service run with
    defects: Defects = field(default_factory=Defects)
    session_cookie: bool = False  # pages answer with `Set-Cookie: sid=...; HttpOnly`, a strictly necessary cookie
    hits: list[str] = field(default_factory=list)  # "host:port path" of every request the site and tracker served

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def page_html(self, path: str) -> str:
        tracker, defects = self.tracker_origin, self.defects
        head = []
        if defects.pixel_after_reject:  # before the banner's tag: listening before its first `consent:change`
            head.append(
                '<script>document.addEventListener("consent:change", function (event) {'
                f' if (!event.detail.purposes.analytics) {{ new Image().src = "{tracker}/pixel.gif"; }} }});</script>'
            )
        if self.service_url and self.publishable_key:
            head.append(f'<script src="{self.service_url}/consent.js" data-property="{self.publishable_key}" async></script>')
        if defects.analytics_outside_blocking:  # self-hosted, so the defect is the cookie alone, not a request too
            head.append('<script src="/legacy-analytics.js"></script>')
        body = [
            f'<script type="text/plain" data-consent="analytics" src="{tracker}/analytics.js"></script>',
        ]
        if defects.undeclared_preferences_cookie:
            body.append('<script type="text/plain" data-consent="preferences" src="/preferences.js"></script>')
        # Links the scanner must not follow: another site, another scheme; and a fragment it must drop.
        nav = " ".join(f'<a href="{href}">{title}</a>' for href, title in PAGES.items())
        nav += f' <a href="/contact#form">Write to us</a> <a href="{tracker}/about">Our partner</a>'
        nav += ' <a href="mailto:hello@example.com">Mail</a>'
        return (
            f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{PAGES[path]}</title>'
            f"{''.join(head)}</head>\n<body><h1>{PAGES[path]}</h1><nav>{nav}</nav>\n{''.join(body)}\n</body></html>\n"
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request still waiting (the slow page) must not hold the tests' end


Route = tuple[str, bytes, tuple[tuple[str, str], ...]]  # content type, body, extra headers


def _handler(site: TestSite, routes: dict[str, Route], stopping: threading.Event) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.hits.append(f"{self.headers.get('Host')} {path}")
            if path == "/slow":
                stopping.wait(60)
            if path == "/away" and routes is SITE_ROUTES:  # a redirect off the site: the scanner must not follow
                self.send_response(302)
                self.send_header("Location", f"{site.tracker_origin}/about")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers: tuple[tuple[str, str], ...] = ()
            if path in PAGES and routes is SITE_ROUTES:
                content_type, body = "text/html; charset=utf-8", site.page_html(path).encode()
                if site.session_cookie:
                    headers = (("Set-Cookie", SESSION_COOKIE),)
            elif path in routes:
                content_type, body, headers = routes[path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # the tests read `site.hits`, not stderr
            pass

    return Handler


SITE_ROUTES: dict[str, Route] = {
    "/legacy-analytics.js": ("text/javascript", ANALYTICS_JS.encode(), ()),
    "/preferences.js": ("text/javascript", PREFERENCES_JS.encode(), ()),
    "/slow": ("text/html; charset=utf-8", b"<!doctype html><title>Slow</title><p>At last.</p>", ()),
}
TRACKER_ROUTES: dict[str, Route] = {
    "/analytics.js": ("text/javascript", ANALYTICS_JS.encode(), ()),
    "/pixel.gif": ("image/gif", PIXEL, ()),
    "/about": ("text/html; charset=utf-8", b"<!doctype html><title>Tracker</title>", ()),
}


@contextmanager
def serving_site() -> Iterator[TestSite]:
    """The site and the tracker on free ports, with no banner until `service_url` and `publishable_key` are set."""
    stopping = threading.Event()
    servers = [_Server((SITE_HOST, 0), BaseHTTPRequestHandler), _Server((TRACKER_HOST, 0), BaseHTTPRequestHandler)]
    site_port, tracker_port = (server.server_address[1] for server in servers)
    site = TestSite(
        url=f"http://{SITE_HOST}:{site_port}/",
        pages=[f"http://{SITE_HOST}:{site_port}{path}" for path in PAGES],
        tracker_origin=f"http://{TRACKER_HOST}:{tracker_port}",
        slow_url=f"http://{SITE_HOST}:{site_port}/slow",
        away_url=f"http://{SITE_HOST}:{site_port}/away",
    )
    servers[0].RequestHandlerClass = _handler(site, SITE_ROUTES, stopping)
    servers[1].RequestHandlerClass = _handler(site, TRACKER_ROUTES, stopping)
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        stopping.set()
        for server in servers:
            server.shutdown()
            server.server_close()
