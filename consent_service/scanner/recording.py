"""What one browser context reports, turned into the observation's cookies, storage keys and requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from consent_service.scanner.observations import (
    CookieSeen,
    Observation,
    Party,
    RequestSeen,
    State,
    StorageArea,
    StorageSeen,
)
from consent_service.scanner.scope import SCHEMES, site_of


def bare_url(url: str) -> str:
    """The URL without query string and fragment: they may carry personal data."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def cookie_names(set_cookie: Iterable[str]) -> list[str]:
    """The names of the cookies in `Set-Cookie` header values (one or several, newline-separated)."""
    names = []
    for value in set_cookie:
        for line in value.split("\n"):
            pair = line.split(";", 1)[0]
            if "=" in pair and (name := pair.split("=", 1)[0].strip()):
                names.append(name)
    return names


def initiator_of(params: Mapping[str, Any]) -> str | None:
    """The script or document behind a CDP `Network.requestWillBeSent`: its URL, else its stack's first URL."""
    initiator = params.get("initiator") or {}
    if initiator.get("url"):
        return str(initiator["url"])
    stack = initiator.get("stack")
    while stack:  # async stacks chain through "parent": the script that scheduled the callback
        for frame in stack.get("callFrames", []):
            if frame.get("url"):
                return str(frame["url"])
        stack = stack.get("parent")
    return str(params["documentURL"]) if params.get("documentURL") else None


class StateRecorder:
    """Collects one state's records into `observation`, each cookie and storage key once per state.

    The driver feeds it the Chrome DevTools Protocol's network events for the page, the `Set-Cookie`
    names of responses, and after each page the context's cookie jar and what each frame reported
    (see page_scripts.READ_FRAME). It also tracks requests in flight, so the driver can tell when the
    page has gone quiet.
    """

    def __init__(self, observation: Observation, state: State) -> None:
        self.observation = observation
        self.state = state
        self.in_flight: set[str] = set()
        self.last_activity = 0.0
        self._sent: list[tuple[str, Mapping[str, Any]]] = []  # (requestId, requestWillBeSent) since the last page
        self._carried: set[str] = set()  # requestIds whose headers as sent held a Cookie
        self._cookie_writers: dict[str, str] = {}  # cookie name -> response URL or script URL, first wins
        self._cookies: set[tuple[str, str, str]] = set()
        self._storage: set[tuple[str, str, str]] = set()

    # The network, from CDP events on the page's session.

    def request_sent(self, params: Mapping[str, Any], *, now: float) -> None:
        self.in_flight.add(params["requestId"])
        self.last_activity = now
        if (params.get("initiator") or {}).get("type") != "preflight":  # the browser's CORS check, not the page's
            self._sent.append((params["requestId"], params))

    def request_headers(self, params: Mapping[str, Any]) -> None:
        """`Network.requestWillBeSentExtraInfo`: the headers as sent, Cookie included."""
        if any(name.lower() == "cookie" for name in params.get("headers", {})):
            self._carried.add(params["requestId"])

    def request_ended(self, params: Mapping[str, Any], *, now: float) -> None:
        """`Network.loadingFinished` or `Network.loadingFailed`."""
        self.in_flight.discard(params["requestId"])
        self.last_activity = now

    def response_cookies(self, url: str, set_cookie: Iterable[str]) -> None:
        for name in cookie_names(set_cookie):
            self._cookie_writers.setdefault(name, url)

    def forget_requests(self) -> None:
        """Drop the requests seen so far: those before a choice do not belong to the state after it."""
        self._sent.clear()

    # After each page.

    def page_read(
        self, *, page: str, cookies: Iterable[Mapping[str, Any]], frames: Iterable[Mapping[str, Any]]
    ) -> None:
        frames = list(frames)
        for frame in frames:
            for name, writer in (frame.get("cookieWriters") or {}).items():
                if writer:
                    self._cookie_writers.setdefault(name, writer)
        self._record_requests(page)
        self._record_cookies(page, cookies)
        self._record_storage(page, frames)

    def _record_requests(self, page: str) -> None:
        page_site = site_of(urlsplit(page).hostname or "")
        recorded: dict[str, RequestSeen] = {}
        for request_id, params in self._sent:
            url = params["request"]["url"]
            parts = urlsplit(url)
            if parts.scheme not in SCHEMES or not parts.hostname:
                continue
            site = site_of(parts.hostname)
            if site == page_site:
                continue
            seen = RequestSeen(
                url=bare_url(url),
                host=parts.netloc.rsplit("@", 1)[-1],
                site=site,
                page=page,
                state=self.state,
                initiator=initiator_of(params),
                carried_cookies=request_id in self._carried,
                resource_type=str(params["type"]).lower() if params.get("type") else None,
            )
            earlier = recorded.get(seen.url)
            # One record per URL and page: the first request's, carrying cookies if any of them did.
            if earlier is None:
                recorded[seen.url] = seen
            elif seen.carried_cookies and not earlier.carried_cookies:
                recorded[seen.url] = replace(earlier, carried_cookies=True)
        self.observation.requests.extend(recorded.values())
        self._sent.clear()

    def _record_cookies(self, page: str, cookies: Iterable[Mapping[str, Any]]) -> None:
        page_site = site_of(urlsplit(page).hostname or "")
        for cookie in cookies:
            key = (cookie["name"], cookie["domain"], cookie["path"])
            if key in self._cookies:
                continue
            self._cookies.add(key)
            expires = cookie.get("expires")
            self.observation.cookies.append(
                CookieSeen(
                    name=cookie["name"],
                    domain=cookie["domain"],
                    path=cookie["path"],
                    expires=float(expires) if expires is not None and expires >= 0 else None,
                    party=Party.FIRST if site_of(cookie["domain"].lstrip(".")) == page_site else Party.THIRD,
                    page=page,
                    state=self.state,
                    set_by=self._cookie_writers.get(cookie["name"]),
                    secure=bool(cookie.get("secure")),
                    http_only=bool(cookie.get("httpOnly")),
                    same_site=cookie.get("sameSite"),
                )
            )

    def _record_storage(self, page: str, frames: list[Mapping[str, Any]]) -> None:
        for frame in frames:
            origin = frame.get("origin")
            if not origin or origin == "null":  # about:blank and sandboxed frames have no storage of their own
                continue
            writers = frame.get("storageWriters") or {}
            for area in StorageArea:
                for key in frame.get(area.value) or []:
                    if (area.value, origin, key) in self._storage:
                        continue
                    self._storage.add((area.value, origin, key))
                    self.observation.storage.append(
                        StorageSeen(
                            area=area,
                            key=key,
                            origin=origin,
                            page=page,
                            state=self.state,
                            set_by=writers.get(f"{area.value}\u0000{key}"),
                        )
                    )
