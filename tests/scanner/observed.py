"""Hand-built observations of a small shop, with and without the four defects of the acceptance test."""

from __future__ import annotations

from consent_service.scanner.findings import Declaration
from consent_service.scanner.observations import (
    CookieSeen,
    Observation,
    PageVisit,
    Party,
    RequestSeen,
    State,
    StorageArea,
    StorageSeen,
)

SITE = "https://shop.example"
HOME = f"{SITE}/"
ABOUT = f"{SITE}/about"
SERVICE_ORIGIN = "https://consent.example.net:8443"
CONSENT_COOKIE = "consent_token"
BANNER_JS = f"{SERVICE_ORIGIN}/consent.js"
LEGACY_JS = f"{SITE}/js/legacy-analytics.js"  # loads outside the banner's blocking
PIXEL_JS = f"{SITE}/js/pixel.js"
THEME_JS = f"{SITE}/js/theme.js"
PIXEL_HOST = "px.tracker.example"

DECLARATIONS = [
    Declaration("session", None, "necessary", "session", {"en": "Keeps the basket."}, id="ckd_session"),
    Declaration("_ga", None, "analytics", "2 years", {"en": "Google Analytics."}, id="ckd_ga"),
    Declaration("_ga_*", None, "analytics", "2 years", {"en": "Google Analytics."}, id="ckd_ga_stream"),
    Declaration("*", "google-analytics.com", "analytics", id="ckd_ga_host"),
]
# (d) declared, and no page ever sets it.
NEVER_SET = Declaration("newsletter_seen", None, "preferences", "1 year", id="ckd_newsletter")


def cookie(name: str, state: State, page: str = HOME, *, set_by: str | None = None, domain: str = "shop.example",
           expires: float | None = 1_900_000_000.0) -> CookieSeen:
    return CookieSeen(name, domain, "/", expires, Party.FIRST, page, state, set_by)


def stored(key: str, state: State, page: str = HOME, *, set_by: str | None = BANNER_JS) -> StorageSeen:
    return StorageSeen(StorageArea.LOCAL, key, SITE, page, state, set_by)


def request(url: str, state: State, page: str = HOME, *, initiator: str | None = None) -> RequestSeen:
    host = url.split("/")[2]
    return RequestSeen(url, host, ".".join(host.split(".")[-2:]), page, state, initiator, False, "script")


def clean_shop() -> Observation:
    """The shop as it should be: only what is necessary before a choice and after a refusal."""
    observation = Observation(start_urls=[HOME, ABOUT])
    for state in State:
        observation.pages += [PageVisit(HOME, state, 200), PageVisit(ABOUT, state, 200)]
        observation.banner_found[state] = True
        observation.cookies.append(cookie("session", state, set_by=HOME))
        observation.storage.append(stored("consent_keys", state))
        observation.requests.append(request(BANNER_JS, state, initiator=HOME))
    for state in (State.REJECTED, State.ACCEPTED):
        observation.cookies.append(cookie(CONSENT_COOKIE, state, set_by=BANNER_JS, domain=".shop.example"))
    observation.cookies += [
        cookie("_ga", State.ACCEPTED, set_by="https://www.googletagmanager.com/gtag/js", domain=".shop.example"),
        cookie("_ga_X1Y2Z3", State.ACCEPTED, set_by="https://www.googletagmanager.com/gtag/js", domain=".shop.example"),
    ]
    observation.requests.append(
        request("https://www.google-analytics.com/g/collect", State.ACCEPTED, initiator="https://www.googletagmanager.com/gtag/js")
    )
    return observation


def defective_shop() -> Observation:
    """The clean shop with (a) `_ga` set before consent by a script outside the blocking, (b) a pixel requested
    after reject, (c) an undeclared preferences cookie after accept; (d) is NEVER_SET among the declarations."""
    observation = clean_shop()
    for state in (State.NO_CHOICE, State.REJECTED):
        observation.cookies.append(cookie("_ga", state, HOME, set_by=LEGACY_JS, domain=".shop.example"))
    observation.requests.append(request(f"https://{PIXEL_HOST}/p.gif", State.REJECTED, ABOUT, initiator=PIXEL_JS))
    # Salesforce's `sidebarPinned`: the Open Cookie Database's Personalization category, our "preferences".
    observation.cookies.append(cookie("sidebarPinned", State.ACCEPTED, ABOUT, set_by=THEME_JS))
    return observation
