"""The scanner's storage: declared cookies, and the queue of scans a worker claims, runs and reports on."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, defer

from consent_service.clock import new_id
from consent_service.errors import Conflict, NotFound, ValidationFailed
from consent_service.patterns import HOST_NAME, IPV6_ADDRESS, LANGUAGE_CODE
from consent_service.properties import service as properties
from consent_service.properties.models import Property
from consent_service.scanner.models import CookieDeclaration, Scan, ScanScreenshot
from consent_service.scanner.observations import State
from consent_service.scanner.options import OPTION_BOUNDS, OPTION_DEFAULTS
from consent_service.vocabulary import ScanStatus

# A cookie may be declared under one of the banner's own purposes or one of the usual cookie categories.
COOKIE_CATEGORIES = ("necessary", "preferences", "analytics", "advertising")
FALLBACK_LANGUAGE = "en"
LANGUAGE = re.compile(LANGUAGE_CODE)
# A cookie name is an RFC 6265 token: no separators, no white space; `*` is the glob's wildcard.
COOKIE_NAME_GLOB = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A declared cookie domain, as the API's schema publishes it and normalize_domain parses it: empty (any domain), a
# host name with the optional dots of a Domain attribute (".example.com", an IPv4 address is such a name too), or an
# IPv6 address, bare or in brackets (no zone: a cookie is never set on one).
COOKIE_DOMAIN = re.compile(rf"|\.?(?:{HOST_NAME})\.?|(?:{IPV6_ADDRESS})|\[(?:{IPV6_ADDRESS})\]")
MAX_DOMAIN_LENGTH = 253
DOMAIN_ERROR = "A host name or IP address such as example.com (no scheme, port, path or spaces)."

MAX_URLS = 100
MAX_EXTRA_ORIGINS = 20
MAX_ERROR_LENGTH = 2000
LEASE_SECONDS = 120.0
NOT_ALLOWED = "Not one of the property's allowed origins: a scan goes only where its banner may run."
OPEN_STATUSES = (ScanStatus.QUEUED.value, ScanStatus.RUNNING.value)
COUNTED = ("violation", "gap", "stale")
DECLARATION_FIELDS = ("name_pattern", "purpose", "retention", "description")


class ScanInProgress(Conflict):
    code = "scan_in_progress"
    message = "This property already has a scan queued or running."


class DuplicateDeclaration(Conflict):
    code = "duplicate_declaration"
    message = "This property already declares this cookie name pattern on this domain."


class LeaseLost(Conflict):
    code = "lease_lost"
    message = "This worker no longer holds the scan: another worker claimed it, or it ended."


# --- declarations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationEntry:
    """A declared cookie as plain data, safe to keep between requests (the generations cache holds these)."""

    property_id: str
    name_pattern: str
    domain: str | None
    purpose: str
    retention: str
    description: Mapping[str, str]

    def shown(self, language: str) -> dict[str, Any]:
        """What a visitor reads of it, in `language` (English where it has none)."""
        return {
            "name": self.name_pattern,
            "domain": self.domain,
            "retention": self.retention,
            "description": self.description.get(language) or self.description[FALLBACK_LANGUAGE],
        }


def list_declarations(*, session: Session, property_id: str) -> list[CookieDeclaration]:
    properties.get(session=session, property_id=property_id)
    return list(
        session.scalars(
            select(CookieDeclaration)
            .where(CookieDeclaration.property_id == property_id)
            .order_by(CookieDeclaration.purpose, CookieDeclaration.name_pattern, CookieDeclaration.id)
        )
    )


def get_declaration(*, session: Session, property_id: str, declaration_id: str) -> CookieDeclaration:
    declaration = session.get(CookieDeclaration, declaration_id)
    if declaration is None or declaration.property_id != property_id:
        raise NotFound("No such cookie declaration.")
    return declaration


def create_declaration(
    *, session: Session, property_id: str, fields: Mapping[str, Any], now: datetime
) -> CookieDeclaration:
    """Declare a cookie: fields name_pattern, purpose, retention, description (en required), domain (optional)."""
    prop = properties.get(session=session, property_id=property_id)
    declaration = CookieDeclaration(id=new_id("ckd"), property_id=property_id, domain=None, created_at=now)
    _apply(session, prop, declaration, {"domain": None, **fields}, now, creating=True)
    session.add(declaration)
    session.flush()
    return declaration


def update_declaration(
    *, session: Session, property_id: str, declaration_id: str, changes: Mapping[str, Any], now: datetime
) -> CookieDeclaration:
    prop = properties.get(session=session, property_id=property_id)
    declaration = get_declaration(session=session, property_id=property_id, declaration_id=declaration_id)
    _apply(session, prop, declaration, changes, now)
    session.flush()
    return declaration


def delete_declaration(*, session: Session, property_id: str, declaration_id: str) -> CookieDeclaration:
    declaration = get_declaration(session=session, property_id=property_id, declaration_id=declaration_id)
    session.delete(declaration)
    session.flush()
    return declaration


def replace_declarations(
    *, session: Session, property_id: str, declarations: Sequence[Mapping[str, Any]], now: datetime
) -> list[CookieDeclaration]:
    """The property's whole declaration becomes `declarations`; nothing changes if any of them is refused."""
    prop = properties.get(session=session, property_id=property_id)
    errors: dict[str, list[str]] = {}
    made, seen = [], set()
    for index, fields in enumerate(declarations):
        values, found = _checked(prop, {"domain": None, **fields}, creating=True)
        errors.update({f"declarations.{index}.{name}": messages for name, messages in found.items()})
        if (values.get("name_pattern"), values.get("domain")) in seen:
            errors[f"declarations.{index}.name_pattern"] = ["Declared twice on this domain."]
        seen.add((values.get("name_pattern"), values.get("domain")))
        declaration = CookieDeclaration(id=new_id("ckd"), property_id=property_id, created_at=now)
        _set(declaration, values, now)
        made.append(declaration)
    if errors:
        raise ValidationFailed("Some cookie declarations are not valid.", errors=errors)
    session.execute(delete(CookieDeclaration).where(CookieDeclaration.property_id == property_id))
    session.add_all(made)
    session.flush()
    return list_declarations(session=session, property_id=property_id)


def declaration_entries(*, session: Session) -> dict[str, tuple[DeclarationEntry, ...]]:
    """Every property's declared cookies by property id, in the order visitors read them."""
    entries: dict[str, list[DeclarationEntry]] = {}
    for row in session.execute(select(CookieDeclaration.__table__)):
        entries.setdefault(row.property_id, []).append(_entry(row))
    # Sorted here, not in SQL: the databases sort a missing domain differently, and the order is in the banner version.
    return {property_id: tuple(sorted(found, key=_reading_order)) for property_id, found in entries.items()}


def by_purpose(
    entries: Iterable[DeclarationEntry], language: str, purposes: Sequence[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The declared cookies per purpose, as visitors read them in `language`; only `purposes`, if given."""
    shown: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if purposes is None or entry.purpose in purposes:
            shown.setdefault(entry.purpose, []).append(entry.shown(language))
    return shown


def declaration_by_purpose(*, session: Session, property_id: str, language: str) -> dict[str, list[dict[str, Any]]]:
    """The public declaration of one property, read now (the banner's endpoints read it from their snapshot)."""
    declared = list_declarations(session=session, property_id=property_id)
    return by_purpose(sorted((_entry(d) for d in declared), key=_reading_order), language)


def _reading_order(entry: DeclarationEntry) -> tuple[str, str]:
    return entry.name_pattern, entry.domain or ""


def _entry(declared: Any) -> DeclarationEntry:
    """A model or a row of the table as plain data."""
    return DeclarationEntry(
        property_id=declared.property_id,
        name_pattern=declared.name_pattern,
        domain=declared.domain,
        purpose=declared.purpose,
        retention=declared.retention,
        description=dict(declared.description),
    )


def _apply(
    session: Session,
    prop: Property,
    declaration: CookieDeclaration,
    changes: Mapping[str, Any],
    now: datetime,
    *,
    creating: bool = False,
) -> None:
    """Set the changes on `declaration` if they are valid and clash with no other declaration; else change nothing."""
    values, errors = _checked(prop, changes, creating=creating)
    if errors:
        raise ValidationFailed("The cookie declaration is not valid.", errors=errors)
    pattern, domain = values.get("name_pattern", declaration.name_pattern), values.get("domain", declaration.domain)
    clash = session.scalars(
        select(CookieDeclaration.id).where(
            CookieDeclaration.property_id == prop.id,
            CookieDeclaration.name_pattern == pattern,
            CookieDeclaration.domain.is_(None) if domain is None else CookieDeclaration.domain == domain,
            CookieDeclaration.id != declaration.id,
        )
    ).first()
    if clash is not None:
        raise DuplicateDeclaration(errors={"name_pattern": [f"Already declared as {clash}."]})
    _set(declaration, values, now)


def _set(declaration: CookieDeclaration, values: Mapping[str, Any], now: datetime) -> None:
    for name, value in values.items():
        setattr(declaration, name, value)
    declaration.updated_at = now


def _checked(
    prop: Property, changes: Mapping[str, Any], *, creating: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The changes normalized, and what is wrong with them (a new declaration needs every field but its domain)."""
    errors: dict[str, list[str]] = {
        name: ["Required."] for name in DECLARATION_FIELDS if creating and name not in changes
    }
    values = dict(changes)
    if "domain" in values:
        try:
            values["domain"] = normalize_domain(values["domain"])
        except ValueError:
            errors["domain"] = [DOMAIN_ERROR]
    if "name_pattern" in values:
        values["name_pattern"] = pattern = str(values["name_pattern"]).strip()
        # `*` alone declares everything one host sets and is sent (a tracker's domain); without a domain it
        # would declare every cookie of every site, which hides exactly what a scan is for.
        if not COOKIE_NAME_GLOB.fullmatch(pattern) or (not pattern.strip("*") and not values.get("domain")):
            errors["name_pattern"] = ["A cookie name, or a glob with * such as _ga_*; * alone only with a domain."]
    if "purpose" in values and values["purpose"] not in (*prop.purposes, *COOKIE_CATEGORIES):
        allowed = ", ".join(dict.fromkeys((*prop.purposes, *COOKIE_CATEGORIES)))
        errors["purpose"] = [f"One of this property's purposes or cookie categories: {allowed}."]
    if "retention" in values:
        values["retention"] = str(values["retention"]).strip()
        if not values["retention"]:
            errors["retention"] = ["How long the cookie lives, such as 13 months or session."]
    if "description" in values:
        values["description"], description_errors = _description(values["description"])
        errors.update(description_errors)
    return values, errors


def _description(texts: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    cleaned = {str(language): str(text).strip() for language, text in texts.items()}
    errors = {
        f"description.{language}": ["A two-letter language code with a text."]
        for language, text in cleaned.items()
        if not LANGUAGE.fullmatch(language) or not text
    }
    if not cleaned.get(FALLBACK_LANGUAGE):
        errors["description.en"] = ["An English description is required: it is shown where a language has none."]
    return cleaned, errors


def normalize_domain(domain: str | None) -> str | None:
    """A cookie's domain as declared: lower-case host or IP, without the dots around a Domain attribute or the
    brackets around an IPv6 address; None for any domain (null or empty). ValueError for whatever COOKIE_DOMAIN
    does not match: a URL, a port, a path, spaces, a zone."""
    if domain is None or domain == "":
        return None
    if len(domain) > MAX_DOMAIN_LENGTH or not COOKIE_DOMAIN.fullmatch(domain):
        raise ValueError(domain)
    host = domain.lower()
    if ":" in host:  # the pattern's IPv6 forms, which ipaddress reads alike
        return ipaddress.IPv6Address(host.removeprefix("[").removesuffix("]")).compressed
    host = host.removeprefix(".").removesuffix(".")
    try:
        return ipaddress.IPv4Address(host).compressed
    except ValueError:  # a host name; "010.0.0.1", a name of digits, is one too (ipaddress refuses leading zeros)
        return host


# --- scans ----------------------------------------------------------------------------------------------------


def create_scan(
    *,
    session: Session,
    property_id: str,
    urls: Sequence[str],
    options: Mapping[str, Any],
    requested_by: str,
    now: datetime,
) -> Scan:
    """Queue a scan of `urls` (and the pages they link to, up to max_pages); a property has one open scan at most.

    The property's row is locked on PostgreSQL, so two requests cannot both queue one; SQLite runs
    one writer at a time, and a transaction that read before another's write cannot write after it."""
    prop = session.scalars(select(Property).where(Property.id == property_id).with_for_update()).one_or_none()
    if prop is None:
        raise NotFound("No such property.")
    checked_urls, checked_options, errors = _scan_request(urls, options, allowed=set(prop.allowed_origins))
    if errors:
        raise ValidationFailed("The scan request is not valid.", errors=errors)
    open_scan = session.scalars(
        select(Scan.id).where(Scan.property_id == property_id, Scan.status.in_(OPEN_STATUSES))
    ).first()
    if open_scan is not None:
        raise ScanInProgress(f"Scan {open_scan} of this property is still queued or running.")
    scan = Scan(
        id=new_id("scan"),
        property_id=property_id,
        status=ScanStatus.QUEUED.value,
        urls=checked_urls,
        options=checked_options,
        pages_done=0,
        # Page visits, as the driver counts them: each page in each of the three states.
        pages_total=min(len(checked_urls), checked_options["max_pages"]) * len(State),
        requested_by=requested_by,
        created_at=now,
    )
    session.add(scan)
    session.flush()
    return scan


def _scan_request(
    urls: Sequence[str], options: Mapping[str, Any], *, allowed: set[str]
) -> tuple[list[str], dict[str, Any], dict[str, list[str]]]:
    """The request's URLs and options, checked. A scan drives a browser from this server, so it may only go
    where the property's banner is allowed to run: its allowed origins are the sites the operator named."""
    errors: dict[str, list[str]] = {}
    if not 1 <= len(urls) <= MAX_URLS:
        errors["urls"] = [f"Between 1 and {MAX_URLS} page URLs."]
    checked_urls = []
    for index, url in enumerate(urls):
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors[f"urls.{index}"] = ["An absolute http(s) URL such as https://shop.example/."]
        elif _origin_of(parts) not in allowed:
            errors[f"urls.{index}"] = [NOT_ALLOWED]
        checked_urls.append(url.strip())
    unknown = sorted(set(options) - {*OPTION_BOUNDS, "extra_origins"})
    errors.update({name: ["Not an option of a scan."] for name in unknown})
    checked: dict[str, Any] = {}
    for name, (low, high) in OPTION_BOUNDS.items():
        value = options.get(name)
        checked[name] = OPTION_DEFAULTS[name] if value is None else value
        if not isinstance(checked[name], int) or isinstance(checked[name], bool) or not low <= checked[name] <= high:
            errors[name] = [f"A whole number from {low} to {high}."]
    extra = list(options.get("extra_origins") or [])
    if len(extra) > MAX_EXTRA_ORIGINS:
        errors["extra_origins"] = [f"At most {MAX_EXTRA_ORIGINS} origins."]
    checked["extra_origins"] = []
    for index, origin in enumerate(extra):
        try:
            checked["extra_origins"].append(properties.normalize_origin(origin))
        except ValueError:
            errors[f"extra_origins.{index}"] = ["An origin such as https://shop.example (no path)."]
            continue
        if checked["extra_origins"][-1] not in allowed:
            errors[f"extra_origins.{index}"] = [NOT_ALLOWED]
    return checked_urls, checked, errors


def _origin_of(parts: SplitResult) -> str | None:
    try:
        return properties.normalize_origin(f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}")
    except ValueError:  # a port that is not a number
        return None


def claim_scan(
    *, session: Session, owner: str, lease_seconds: float, now: datetime, scan_id: str | None = None
) -> Scan | None:
    """Lease the oldest queued scan, or a running one whose worker's lease ran out (it starts over), to `owner`;
    the caller commits to make the claim visible.

    On PostgreSQL the candidate is row-locked with SKIP LOCKED, so concurrent workers pick different
    scans without waiting. On SQLite the UPDATE re-checks that the scan is still claimable under
    SQLite's single write lock, so a scan two workers both read is claimed by the first one only."""
    claimable = or_(
        Scan.status == ScanStatus.QUEUED.value,
        and_(Scan.status == ScanStatus.RUNNING.value, Scan.lease_until < now),
    )
    query = select(Scan.id).where(claimable)
    if scan_id is not None:  # `flask scan` runs the scan it queued itself
        query = query.where(Scan.id == scan_id)
    candidate = session.scalars(
        query.order_by(Scan.created_at, Scan.id).limit(1).with_for_update(skip_locked=True)
    ).first()
    if candidate is None:
        return None
    claimed = session.scalars(
        update(Scan)
        .where(Scan.id == candidate, claimable)
        .values(
            status=ScanStatus.RUNNING.value,
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            started_at=now,
            pages_done=0,
        )
        .returning(Scan.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return None
    return session.scalars(select(Scan).where(Scan.id == claimed).execution_options(populate_existing=True)).one()


def lease_seconds_for(scan: Scan) -> float:
    """A running scan's lease: long enough for two of its slowest page loads, renewed after every page."""
    return float(scan.options.get("page_seconds", OPTION_DEFAULTS["page_seconds"])) * 2 + LEASE_SECONDS


def report_progress(
    *,
    session: Session,
    scan_id: str,
    owner: str,
    done: int,
    total: int,
    now: datetime,
    lease_seconds: float = LEASE_SECONDS,
) -> Scan:
    """Record how many pages are done of how many, and extend `owner`'s lease by `lease_seconds` from now."""
    scan = _leased(session, scan_id, owner)
    scan.pages_done, scan.pages_total = max(0, done), max(0, total, done)
    scan.lease_until = now + timedelta(seconds=lease_seconds)
    session.flush()
    return scan


def finish_scan(
    *,
    session: Session,
    scan_id: str,
    owner: str,
    assessment: Mapping[str, Any],
    screenshots: Mapping[str, bytes],
    now: datetime,
) -> Scan:
    """Store the assessment (findings.Assessment.to_json()) and the screenshots by state; the scan is done.

    The counts tally the assessment's findings by their `severity` (violation, gap, stale)."""
    scan = _leased(session, scan_id, owner)
    unknown = sorted(set(screenshots) - {state.value for state in State})
    if unknown:
        raise ValidationFailed("Screenshots are taken in a browser state.", errors={"screenshots": unknown})
    scan.status = ScanStatus.DONE.value
    scan.assessment = dict(assessment)
    scan.counts = tally(assessment)
    scan.pages_done = max(scan.pages_done, scan.pages_total)
    scan.finished_at = now
    scan.lease_owner = scan.lease_until = None
    session.add_all(ScanScreenshot(scan_id=scan.id, state=state, png=png) for state, png in screenshots.items())
    session.flush()
    return scan


def tally(assessment: Mapping[str, Any]) -> dict[str, int]:
    """How many findings of each kind (violation, gap, stale) an assessment has."""
    counts = dict.fromkeys(COUNTED, 0)
    for finding in assessment.get("findings") or []:
        kind = finding.get("kind") if isinstance(finding, Mapping) else None
        if kind in counts:
            counts[kind] += 1
    return counts


def fail_scan(*, session: Session, scan_id: str, owner: str, error: str, now: datetime) -> Scan:
    """The scan could not be run (the site unreachable, the browser crashed): it ends, with why."""
    scan = _leased(session, scan_id, owner)
    scan.status = ScanStatus.FAILED.value
    scan.error = error[:MAX_ERROR_LENGTH]
    scan.finished_at = now
    scan.lease_owner = scan.lease_until = None
    session.flush()
    return scan


def _leased(session: Session, scan_id: str, owner: str) -> Scan:
    scan = session.scalars(select(Scan).where(Scan.id == scan_id).with_for_update()).one_or_none()
    if scan is None:
        raise NotFound("No such scan.")
    if scan.status != ScanStatus.RUNNING.value or scan.lease_owner != owner:
        raise LeaseLost()
    return scan


def get_scan(*, session: Session, scan_id: str, property_id: str | None = None) -> Scan:
    """A scan, of `property_id` if given."""
    scan = session.get(Scan, scan_id)
    if scan is None or (property_id is not None and scan.property_id != property_id):
        raise NotFound("No such scan.")
    return scan


def list_scans(*, session: Session, property_id: str, limit: int = 50) -> list[Scan]:
    """A property's scans, newest first, without their assessments (not loaded)."""
    properties.get(session=session, property_id=property_id)
    return list(
        session.scalars(
            select(Scan)
            .options(defer(Scan.assessment))
            .where(Scan.property_id == property_id)
            .order_by(Scan.created_at.desc(), Scan.id.desc())
            .limit(limit)
        )
    )


def previous_scan(*, session: Session, scan: Scan) -> Scan | None:
    """The latest done scan of the same property that finished before this one (before it was requested, while
    it is not finished): what its findings are compared with."""
    before = scan.finished_at or scan.created_at
    return session.scalars(
        select(Scan)
        .where(
            Scan.property_id == scan.property_id,
            Scan.status == ScanStatus.DONE.value,
            Scan.finished_at < before,
            Scan.id != scan.id,
        )
        .order_by(Scan.finished_at.desc(), Scan.id.desc())
        .limit(1)
    ).first()


def screenshot(*, session: Session, scan_id: str, state: str) -> bytes:
    found = session.get(ScanScreenshot, (scan_id, state))
    if found is None:
        raise NotFound("No screenshot of this scan in this state.")
    return found.png


def screenshot_states(*, session: Session, scan_id: str) -> list[str]:
    """The browser states a scan has a screenshot of, in the order they are visited."""
    taken = set(session.scalars(select(ScanScreenshot.state).where(ScanScreenshot.scan_id == scan_id)))
    return [state.value for state in State if state.value in taken]
