"""Drive headless Chromium over a site's pages in three fresh contexts and record what the site sets.

An optional extra (`pip install .[scan]`): nothing else in the service imports this module at import time.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse

from consent_service.errors import Unavailable, ValidationFailed
from consent_service.scanner.observations import Observation, PageVisit, State
from consent_service.scanner.page_scripts import READ_FRAME, READ_LINKS, WATCH_WRITERS
from consent_service.scanner.recording import StateRecorder
from consent_service.scanner.scope import Scope, without_fragment

# Without these the closed network of a server stalls Chromium on its own background connections.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
BANNER = "#cs-banner"
CHOICE_BUTTONS = {State.REJECTED: "reject-all", State.ACCEPTED: "accept-all"}
QUIET_SECONDS = 0.5  # no request in flight for this long: the page has settled
POLL_SECONDS = 0.1
BANNER_GRACE_SECONDS = 2.0  # how long a settled page may still take to show the banner
TOTAL_TIME = "total time"
PAGE_LIMIT = "page limit"


@dataclass(frozen=True)
class ScanOptions:
    max_pages: int = 20  # pages per state
    page_seconds: float = 15.0  # navigation + settle timeout per page
    total_seconds: float = 600.0  # whole scan; on expiry stop and set Observation.stopped_early
    delay_seconds: float = 0.25  # minimum interval between two navigations (a polite rate)
    extra_origins: tuple[str, ...] = ()  # origins besides the start URLs' whose links may be followed
    chromium: str = "/usr/bin/chromium"

    def __post_init__(self) -> None:
        errors = {
            name: [message]
            for name, wrong, message in (
                ("max_pages", self.max_pages < 1, "At least one page."),
                ("page_seconds", self.page_seconds <= 0, "More than zero seconds."),
                ("total_seconds", self.total_seconds <= 0, "More than zero seconds."),
                ("delay_seconds", self.delay_seconds < 0, "Zero seconds or more."),
            )
            if wrong
        }
        if errors:
            raise ValidationFailed("The scan's bounds are out of range.", errors=errors)


def _no_progress(done: int, total: int) -> None:
    """The default progress callback: nobody is listening."""


def scan_site(
    start_urls: Sequence[str],
    *,
    options: ScanOptions,
    progress: Callable[[int, int], None] = _no_progress,
) -> Observation:
    """Visit the site's pages with no choice, after "reject all" and after "accept all", and record what it sets.

    NO_CHOICE crawls breadth-first from `start_urls`, following `a[href]` links only to the start URLs'
    origins and `options.extra_origins` (Scope), at most `max_pages`. REJECTED and ACCEPTED each open a
    fresh context, load the first page, wait for the banner, click its reject-all (accept-all) button,
    let the page settle, then visit every crawled page; the choice persists in the context's cookie.
    Requests made before the click are not recorded for those states; cookies and storage present after
    it are. A failed navigation becomes a PageVisit with `error` and the scan goes on; a failed load of
    the page the choice is made on is recorded the same way (it is otherwise not a PageVisit).

    Screenshots (PNG, 1280x800 viewport): NO_CHOICE shows the first page with the banner up (or what
    showed instead); REJECTED and ACCEPTED show the first page once the click has settled.

    `progress(done, total)` follows each PageVisit; total is pages x 3, an estimate while crawling.
    Raises ValidationFailed before starting when a start URL or extra origin is not http(s), Unavailable
    when Chromium does not start. Playwright runs in a thread of its own, so a caller that already drives
    a browser (or runs an event loop) can scan; the call blocks until the scan ends.
    """
    scope = Scope.of(start_urls, options.extra_origins)
    observation = Observation(start_urls=list(start_urls))
    # Progress is reported in the caller's thread, which may hold a database session or an app context.
    reports: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
    scan = _Scan(scope=scope, options=options, observation=observation, progress=lambda *step: reports.put(step))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            scan.run()
        except BaseException as exc:  # handed to the caller's thread below, not swallowed
            failure.append(exc)
        finally:
            reports.put(None)

    worker = threading.Thread(target=run, name="consent-scan")
    worker.start()
    refused: list[BaseException] = []
    while (step := reports.get()) is not None:
        if not refused:  # a caller that refused a report (its lease lost, say) hears no more, and gets its error
            try:
                progress(*step)
            except BaseException as exc:
                refused.append(exc)
    worker.join()
    if failure or refused:
        raise (refused or failure)[0]
    return observation


class _OutOfTime(Exception):
    """The whole scan's time is up."""


class _Scan:
    def __init__(
        self, *, scope: Scope, options: ScanOptions, observation: Observation, progress: Callable[[int, int], None]
    ) -> None:
        self.scope = scope
        self.options = options
        self.observation = observation
        self.progress = progress
        self.deadline = time.monotonic() + options.total_seconds
        self.last_navigation: float | None = None
        self.done = 0
        self.total = 0

    def run(self) -> None:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(
                    executable_path=self.options.chromium, args=list(CHROMIUM_ARGS), headless=True
                )
            except PlaywrightError as exc:
                raise Unavailable(
                    f"Chromium ({self.options.chromium}) did not start: {str(exc).splitlines()[0]}"
                ) from exc
            try:
                pages = self._crawl(browser)
                self.total = len(pages) * 3
                for state in (State.REJECTED, State.ACCEPTED):
                    self._choose_and_visit(browser, state, pages)
            except _OutOfTime:
                self.observation.stopped_early = TOTAL_TIME
            finally:
                browser.close()

    # The three states.

    def _crawl(self, browser: Browser) -> list[str]:
        """NO_CHOICE: breadth-first over the in-scope links; the pages visited, in order."""
        queue: list[str] = []
        for url in self.observation.start_urls:
            url = without_fragment(url)
            if url not in queue:
                queue.append(url)
        visited: list[str] = []
        with _Tab(browser, self, State.NO_CHOICE) as tab:
            while queue and len(visited) < self.options.max_pages:
                url = queue.pop(0)
                visited.append(url)
                self.total = min(len(visited) + len(queue), self.options.max_pages) * 3
                first = len(visited) == 1
                links = tab.visit(url, banner=first, screenshot=first, links=True)
                for link in links:
                    link = without_fragment(link)
                    if link not in visited and link not in queue and self.scope.refusal(link) is None:
                        queue.append(link)
            if queue:
                self.observation.stopped_early = PAGE_LIMIT
        return visited

    def _choose_and_visit(self, browser: Browser, state: State, pages: list[str]) -> None:
        with _Tab(browser, self, state) as tab:
            self.observation.banner_found[state] = tab.choose(pages[0], CHOICE_BUTTONS[state]) if pages else False
            for url in pages:
                tab.visit(url)

    # Bounds shared by the tabs.

    def left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _OutOfTime
        return left

    def pace(self) -> None:
        """Wait out the polite interval since the last navigation, within the scan's time."""
        if self.last_navigation is not None:
            wait = self.last_navigation + self.options.delay_seconds - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, self.left()))
        self.left()
        self.last_navigation = time.monotonic()

    def visited(self, visit: PageVisit) -> None:
        self.observation.pages.append(visit)
        self.done += 1
        self.progress(self.done, max(self.total, self.done))


class _Tab:
    """One fresh context with one page, watched: the writers script, the network, redirects kept in scope."""

    def __init__(self, browser: Browser, scan: _Scan, state: State) -> None:
        self.browser = browser
        self.scan = scan
        self.state = state
        self.recorder = StateRecorder(scan.observation, state)
        self.responses: list[PlaywrightResponse] = []
        self.refused: list[str] = []  # why the main frame's navigations since the last load were refused

    def __enter__(self) -> _Tab:
        self.context: BrowserContext = self.browser.new_context(viewport=VIEWPORT, locale="en-US")
        self.context.add_init_script(WATCH_WRITERS)
        self.context.on("response", lambda response: self.responses.append(response))
        self.page: Page = self.context.new_page()
        self.cdp = cdp = self.context.new_cdp_session(self.page)
        cdp.on("Network.requestWillBeSent", lambda params: self.recorder.request_sent(params, now=time.monotonic()))
        cdp.on("Network.requestWillBeSentExtraInfo", self.recorder.request_headers)
        cdp.on("Network.loadingFinished", lambda params: self.recorder.request_ended(params, now=time.monotonic()))
        cdp.on("Network.loadingFailed", lambda params: self.recorder.request_ended(params, now=time.monotonic()))
        cdp.send("Network.enable")
        # Playwright's own routing never sees a redirect's next hop; the DevTools Fetch domain pauses each one.
        self.main_frame = cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        cdp.on("Fetch.requestPaused", self._keep_in_scope)
        cdp.send(
            "Fetch.enable", {"patterns": [{"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}]}
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.close()

    def _keep_in_scope(self, params: dict[str, Any]) -> None:
        """A redirect or script may not take the page itself off the operator's origins; frames may go anywhere."""
        refusal = None
        if params.get("frameId") == self.main_frame:
            refusal = self.scan.scope.refusal(params["request"]["url"])
        if refusal is None:
            self.cdp.send("Fetch.continueRequest", {"requestId": params["requestId"]})
            return
        self.refused.append(refusal)
        self.cdp.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"})

    def visit(self, url: str, *, banner: bool = False, screenshot: bool = False, links: bool = False) -> list[str]:
        """Load `url`, let it settle, record it; the links found when `links`."""
        visit, found = self._load(url, banner=banner)
        if banner:
            self.scan.observation.banner_found[self.state] = found
        if screenshot and visit.error is None:
            self._screenshot()
        self.scan.visited(visit)
        if links and visit.error is None:
            try:
                return list(self.page.eval_on_selector_all("a[href]", READ_LINKS))
            except PlaywrightError:  # the page navigated away or crashed meanwhile
                return []
        return []

    def choose(self, url: str, action: str) -> bool:
        """Load the first page, click the banner's button, let it settle: whether the banner showed and was clicked."""
        visit, shown = self._load(url, banner=True, record=False)
        self.recorder.forget_requests()  # made before the choice: they belong to no state but NO_CHOICE's
        if visit.error is not None:
            self.scan.visited(visit)
            return False
        clicked = shown and self._click(action)
        if clicked:
            self._record(url)
        self._screenshot()  # once the click settled; without one, what showed instead of the banner
        return clicked

    def _click(self, action: str) -> bool:
        """Click the banner's button and let the page settle; False when it could not be clicked."""
        started = time.monotonic()
        try:
            self.page.click(f'{BANNER} [data-cs-action="{action}"]', timeout=self._ms(started))
        except PlaywrightError:  # the button is missing or never became clickable: no choice was made
            return False
        self._settle(started)
        return True

    def _screenshot(self) -> None:
        try:
            self.scan.observation.screenshots[self.state] = self.page.screenshot(type="png")
        except PlaywrightError:  # the page crashed or closed: the scan goes on without its picture
            return

    def _load(self, url: str, *, banner: bool, record: bool = True) -> tuple[PageVisit, bool]:
        refusal = self.scan.scope.refusal(url)
        if refusal is not None:
            return PageVisit(url=url, state=self.state, status=None, error=refusal), False
        self.scan.pace()
        started = time.monotonic()
        self.refused.clear()
        # A new document: a request the last one left without an end event must not hold this one's settling.
        self.recorder.in_flight.clear()
        try:
            response = self.page.goto(url, wait_until="load", timeout=self._ms(started))
        except PlaywrightError as exc:
            self.recorder.forget_requests()
            error = self.refused[-1] if self.refused else _reason(exc, self.scan.options.page_seconds)
            visit = PageVisit(url=url, state=self.state, status=None, error=error, seconds=time.monotonic() - started)
            if time.monotonic() >= self.scan.deadline:
                self.scan.visited(
                    PageVisit(url=url, state=self.state, status=None, error=TOTAL_TIME, seconds=visit.seconds)
                )
                raise _OutOfTime from exc
            return visit, False
        self._settle(started)
        shown = banner and self._banner_shows(started)
        if record:
            self._record(url)
        status = response.status if response is not None else None
        return PageVisit(url=url, state=self.state, status=status, seconds=time.monotonic() - started), shown

    def _banner_shows(self, started: float) -> bool:
        """Whether the banner is up on the settled page, after a short grace for one still rendering.

        The banner fetches its configuration and shows when it arrives, so a page that went quiet
        without it will not show it: waiting the whole page time would only slow every banner-less scan.
        """
        grace = min(BANNER_GRACE_SECONDS * 1000, self._ms(started))
        try:
            self.page.wait_for_selector(BANNER, state="visible", timeout=grace)
        except PlaywrightError:  # no banner: that is an observation, not an error
            return False
        return True

    def _settle(self, started: float) -> None:
        """Wait until no request has been in flight for QUIET_SECONDS, within the page's and the scan's time.

        Playwright's "networkidle" cannot serve after a click: it answers at once once the document
        reached it, so the quiet is measured here from the page's own network events.
        """
        until = min(started + self.scan.options.page_seconds, self.scan.deadline)
        while True:
            now = time.monotonic()
            quiet = not self.recorder.in_flight and now - self.recorder.last_activity >= QUIET_SECONDS
            if quiet or now >= until:
                break
            self.page.wait_for_timeout(POLL_SECONDS * 1000)  # lets Playwright deliver the page's events

    def _record(self, url: str) -> None:
        for response in self.responses:
            try:
                headers = response.headers_array()
            except PlaywrightError:  # its frame or page went away
                continue
            set_cookie = [header["value"] for header in headers if header["name"].lower() == "set-cookie"]
            if set_cookie:
                self.recorder.response_cookies(response.url, set_cookie)
        self.responses.clear()
        frames: list[dict[str, Any]] = []
        for frame in self.page.frames:
            try:
                frames.append(frame.evaluate(READ_FRAME))
            except PlaywrightError:  # a frame detached or navigating while we read: best effort
                continue
        self.recorder.page_read(page=url, cookies=self.context.cookies(), frames=frames)

    def _ms(self, started: float) -> float:
        """Milliseconds left for this page: its own time, cut by the scan's."""
        until = min(started + self.scan.options.page_seconds, self.scan.deadline)
        return max(until - time.monotonic(), 0.001) * 1000


def _reason(exc: PlaywrightError, page_seconds: float) -> str:
    message = exc.message.splitlines()[0] if exc.message else type(exc).__name__
    if exc.name == "TimeoutError":
        return f"timeout after {page_seconds:g} s"
    return message[:300]
