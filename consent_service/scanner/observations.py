"""What a scan saw, before any judgement: the contract between the browser driver and the assessment.

The driver (`browser.py`) fills these in; `findings.py` classifies them and decides what is wrong.
Nothing here knows Playwright, the database or the knowledge base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    """The three fresh browser contexts every page is visited in."""

    NO_CHOICE = "no_choice"  # the banner is showing and nothing was clicked
    REJECTED = "rejected"  # "reject all" clicked on the real banner, then the pages visited
    ACCEPTED = "accepted"  # "accept all" clicked on the real banner, then the pages visited


# Before a choice and after a refusal, only what is strictly necessary may be there.
RESTRICTED_STATES = (State.NO_CHOICE, State.REJECTED)


class Party(StrEnum):
    FIRST = "first"  # the page's site (registrable domain by the Public Suffix List; an IP address is its own site)
    THIRD = "third"


class StorageArea(StrEnum):
    LOCAL = "localStorage"
    SESSION = "sessionStorage"


@dataclass(frozen=True)
class PageVisit:
    url: str
    state: State
    status: int | None  # the document's HTTP status; None when the navigation failed
    error: str | None = None  # why the page could not be scanned (timeout, refused, outside the scope)
    seconds: float = 0.0


@dataclass(frozen=True)
class CookieSeen:
    """A cookie in the context's jar after a page was visited, and where it was first seen."""

    name: str
    domain: str  # as the browser stores it: "example.com" (host-only) or ".example.com"
    path: str
    expires: float | None  # Unix seconds; None for a session cookie
    party: Party
    page: str  # the first page (URL) on which it was present
    state: State
    set_by: str | None = None  # the script URL (document.cookie) or response URL (Set-Cookie), when the browser tells
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None


@dataclass(frozen=True)
class StorageSeen:
    area: StorageArea
    key: str
    origin: str  # scheme://host[:port] of the frame that wrote it
    page: str
    state: State
    set_by: str | None = None  # the script URL, when the browser tells


@dataclass(frozen=True)
class RequestSeen:
    """A request from a page to another site (first-party requests are not recorded)."""

    url: str  # without query string and fragment: they may carry personal data
    host: str  # host[:port] as requested
    site: str  # its registrable domain, or the IP address
    page: str
    state: State
    initiator: str | None = None  # the script or document URL that caused it, when the browser tells
    carried_cookies: bool = False
    resource_type: str | None = None  # "script", "image", "xhr", ... as the browser reports it


@dataclass
class Observation:
    """Everything one scan saw over all pages in all three states."""

    start_urls: list[str]
    pages: list[PageVisit] = field(default_factory=list)
    cookies: list[CookieSeen] = field(default_factory=list)
    storage: list[StorageSeen] = field(default_factory=list)
    requests: list[RequestSeen] = field(default_factory=list)
    screenshots: dict[State, bytes] = field(default_factory=dict)  # PNG of the first page in each state
    banner_found: dict[State, bool] = field(default_factory=dict)  # the banner showed and its button was clicked
    stopped_early: str | None = None  # "total time" / "page limit" when a bound cut the scan short
