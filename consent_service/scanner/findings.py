"""Judging a scan: classify what a site set and requested, then find violations, gaps and stale declarations.

The rules, one function each:
- classify: an item (cookie, storage key, third-party request) takes its purpose from the operator's most
  specific declaration, else the service's own (its consent cookie and `consent_keys`; a request to the service's
  host and port), else the Open Cookie Database, else it is "unknown". Unknown is never taken for necessary.
- violations: an item present before a choice (no_choice) or after "reject all" (rejected) whose purpose is not
  "necessary" (unknown ones included: the scan fails closed). One per item.
- gaps: a cookie or storage key, seen in any state, that no operator or service declaration covers, even when the
  knowledge base knows it (it classifies and suggests; it does not declare). Requests are not set, so no gaps.
- stale: an operator declaration that matches no cookie or storage key seen in any state; "*" with a domain also
  counts as seen when a request went to that domain.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from consent_service.scanner import hosts
from consent_service.scanner.knowledge import Entry, Knowledge
from consent_service.scanner.observations import RESTRICTED_STATES, Observation, Party, State

NECESSARY = "necessary"
UNKNOWN = "unknown"
CONSENT_KEYS_STORAGE_KEY = "consent_keys"  # js-snippet/src/core/verifier.js keeps the service's keys under it
# How a report says a state in a sentence.
WHEN = {State.NO_CHOICE: "before a choice", State.REJECTED: "after reject all", State.ACCEPTED: "after accept all"}


class Source(StrEnum):
    """Where an item's purpose comes from, strongest first."""

    OPERATOR = "operator"  # the operator's cookie declarations
    SERVICE = "service"  # what the consent service itself sets or is
    KNOWLEDGE = "knowledge"  # the Open Cookie Database
    UNKNOWN = "unknown"


class ItemType(StrEnum):
    COOKIE = "cookie"
    STORAGE = "storage"
    REQUEST = "request"
    DECLARATION = "declaration"  # a stale finding names a declaration, not something seen


class Kind(StrEnum):
    VIOLATION = "violation"
    GAP = "gap"
    STALE = "stale"


@dataclass(frozen=True)
class Declaration:
    """An operator's cookie declaration, or one the service adds for itself (id None)."""

    name_pattern: str  # fnmatch glob, case-sensitive: "_ga", "_ga_*", "*"
    domain: str | None  # None: any; "example.com" covers it and its subdomains; an IP address only itself
    purpose: str
    retention: str = ""
    description: Mapping[str, str] = field(default_factory=dict)  # by language: en, de, fr
    id: str | None = None

    def covers_host(self, host: str) -> bool:
        return self.domain is None or hosts.covers(hosts.normalize(self.domain), host)

    def matches(self, name: str, host: str) -> bool:
        """A cookie or storage key called `name` on `host` (cookie domain or storage origin, normalized)."""
        return fnmatch.fnmatchcase(name, self.name_pattern) and self.covers_host(host)

    def matches_request(self, host: str) -> bool:
        """A request to `host`: only a declaration naming a domain speaks for a host, whatever its name pattern."""
        return self.domain is not None and self.covers_host(host)

    def specificity(self) -> tuple[int, int, int]:
        """Orders declarations that match the same item: a named domain (deeper is narrower), then a literal name,
        then a longer pattern."""
        domain_depth = len(hosts.normalize(self.domain).split(".")) if self.domain is not None else 0
        literal = not any(character in self.name_pattern for character in "*?[")
        return (domain_depth, int(literal), len(self.name_pattern))

    def request_specificity(self) -> tuple[int, int]:
        """Orders declarations that speak for the same request host: a deeper domain, then "*" (the whole domain)
        over a name pattern, which is about cookies."""
        return (self.specificity()[0], int(self.name_pattern == "*"))

    def label(self) -> str:
        return self.name_pattern if self.domain is None else f"{self.name_pattern} ({self.domain})"


def service_declarations(*, service_origin: str, consent_cookie: str) -> list[Declaration]:
    """What the service's own banner sets on every site, all necessary: the consent cookie
    (js-snippet/src/utils/cookie.js, `consent_token` unless configured) and the key cache in localStorage
    (js-snippet/src/core/verifier.js); their descriptions name the service at `service_origin`. Requests to it are
    classified in `classify`, not declared here: a "*" declaration on the service's host would also cover the
    site's own cookies when both share a host."""
    service = hosts.of_origin(service_origin) or service_origin
    return [
        Declaration(
            name_pattern=glob.escape(consent_cookie),
            domain=None,
            purpose=NECESSARY,
            retention="until the consent record expires",
            description={
                "en": f"Keeps your cookie choices: a consent record signed by the consent service ({service}).",
                "de": f"Speichert Ihre Cookie-Auswahl: ein vom Einwilligungsdienst ({service}) signierter Nachweis.",
                "fr": f"Conserve vos choix de cookies : une preuve signée par le service de consentement ({service}).",
            },
        ),
        Declaration(
            name_pattern=CONSENT_KEYS_STORAGE_KEY,
            domain=None,
            purpose=NECESSARY,
            retention="until replaced; used for at most 7 days",
            description={
                "en": f"Keeps the public keys of the consent service ({service}), to check your stored choice.",
                "de": f"Speichert die öffentlichen Schlüssel des Einwilligungsdienstes ({service}), um Ihre "
                "gespeicherte Auswahl zu prüfen.",
                "fr": f"Conserve les clés publiques du service de consentement ({service}) pour vérifier votre "
                "choix enregistré.",
            },
        ),
    ]


@dataclass(frozen=True)
class Suggestion:
    """What the knowledge base says about an undeclared item, enough to declare it in one step."""

    purpose: str
    retention: str
    description: str
    platform: str

    @classmethod
    def of(cls, entry: Entry) -> Suggestion:
        return cls(entry.purpose, entry.retention, entry.description, entry.platform)


@dataclass(frozen=True)
class Sighting:
    page: str  # the first page it was present on, in that state
    set_by: str | None  # the script or response that set it (a request's initiator), when the browser told


@dataclass(frozen=True)
class Classification:
    purpose: str
    source: Source
    declaration_id: str | None = None
    suggestion: Suggestion | None = None


@dataclass(frozen=True)
class Item:
    """One cookie, storage key or request host over the whole scan, classified."""

    item_type: ItemType
    item: str  # "name (domain)", "localStorage:key (origin)", or the request host
    name: str  # cookie name, storage key, or request host
    domain: str  # cookie domain (no leading dot), storage origin, or request host
    purpose: str
    source: Source
    seen: Mapping[State, Sighting]  # per state it was seen in
    party: Party | None = None  # None for storage: the frame's origin is recorded, not its site
    expires: float | None = None  # the latest expiry seen (Unix seconds); None for a session cookie
    declaration_id: str | None = None
    suggestion: Suggestion | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.item_type, self.item)

    @property
    def states(self) -> tuple[State, ...]:
        return tuple(state for state in State if state in self.seen)

    @property
    def page(self) -> str:
        """The first page it was seen on, in the first state it was seen in."""
        return self.seen[self.states[0]].page

    @property
    def set_by(self) -> str | None:
        return next((self.seen[state].set_by for state in self.states if self.seen[state].set_by), None)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    item_type: ItemType
    item: str
    page: str | None
    states: tuple[State, ...]
    purpose: str
    source: Source
    set_by: str | None
    detail: str
    declaration_id: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies a finding from one run to the next."""
        return (self.kind, self.item_type, self.item)


@dataclass(frozen=True)
class Page:
    url: str
    state: State
    status: int | None
    error: str | None = None

    @property
    def failed(self) -> bool:
        """The page could not be scanned, or answered with an error status."""
        return self.error is not None or self.status is None or self.status >= 400


@dataclass(frozen=True)
class Assessment:
    items: tuple[Item, ...]
    findings: tuple[Finding, ...]
    pages: tuple[Page, ...]
    stopped_early: str | None = None
    banner_found: Mapping[State, bool] = field(default_factory=dict)

    @property
    def counts(self) -> dict[Kind, int]:
        return {kind: sum(finding.kind == kind for finding in self.findings) for kind in Kind}

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": {kind.value: count for kind, count in self.counts.items()},  # derived, for readers
            "findings": [_finding_json(finding) for finding in self.findings],
            "items": [_item_json(item) for item in self.items],
            "pages": [
                {"url": page.url, "state": page.state.value, "status": page.status, "error": page.error}
                for page in self.pages
            ],
            "stopped_early": self.stopped_early,
            "banner_found": {state.value: found for state, found in self.banner_found.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Assessment:
        return cls(
            items=tuple(_item_from_json(item) for item in data["items"]),
            findings=tuple(_finding_from_json(finding) for finding in data["findings"]),
            pages=tuple(
                Page(page["url"], State(page["state"]), page["status"], page["error"]) for page in data["pages"]
            ),
            stopped_early=data["stopped_early"],
            # A JSON column may reorder an object's keys (PostgreSQL's jsonb does): State order is restored.
            banner_found=_in_state_order({State(state): bool(found) for state, found in data["banner_found"].items()}),
        )


@dataclass(frozen=True)
class Comparison:
    new: tuple[Finding, ...]
    resolved: tuple[Finding, ...]
    unchanged: int

    def to_json(self) -> dict[str, Any]:
        return {
            "new": [_finding_json(finding) for finding in self.new],
            "resolved": [_finding_json(finding) for finding in self.resolved],
            "unchanged": self.unchanged,
        }


def assess(
    observation: Observation,
    *,
    declarations: Sequence[Declaration],
    knowledge: Knowledge,
    service_origin: str,
    consent_cookie: str,
) -> Assessment:
    """Classify everything the scan saw and judge it; `declarations` are the operator's."""
    service = service_declarations(service_origin=service_origin, consent_cookie=consent_cookie)
    items = tuple(
        sorted(
            (
                _classified(
                    seen,
                    classify(
                        seen.item_type,
                        seen.name,
                        seen.host,
                        declarations=declarations,
                        service=service,
                        knowledge=knowledge,
                        service_origin=service_origin,
                    ),
                )
                for seen in _gather(observation)
            ),
            key=lambda item: (list(ItemType).index(item.item_type), item.item),
        )
    )
    findings = [*violations(items), *gaps(items), *stale(declarations, items)]
    return Assessment(
        items=items,
        findings=tuple(sorted(findings, key=_finding_order)),
        pages=tuple(Page(visit.url, visit.state, visit.status, visit.error) for visit in observation.pages),
        stopped_early=observation.stopped_early,
        banner_found=_in_state_order(observation.banner_found),
    )


@dataclass
class _Seen:
    """An item's sightings gathered over the observation, before classification."""

    item_type: ItemType
    item: str
    name: str
    domain: str
    host: str  # what declarations and the knowledge base match on
    seen: dict[State, Sighting]
    party: Party | None = None
    expires: float | None = None


def _gather(observation: Observation) -> list[_Seen]:
    """One entry per distinct cookie, storage key and request host; per state the first page it was on."""
    gathered: dict[tuple[ItemType, str], _Seen] = {}

    def sight(seen: _Seen, state: State, page: str, set_by: str | None) -> _Seen:
        """Keep the first page per state; a later record of the same state may still say who set it."""
        current = gathered.setdefault((seen.item_type, seen.item), seen)
        first = current.seen.get(state)
        if first is None:
            current.seen[state] = Sighting(page, set_by)
        elif first.set_by is None and set_by:
            current.seen[state] = Sighting(first.page, set_by)
        return current

    for cookie in observation.cookies:
        domain = hosts.normalize(cookie.domain)
        seen = _Seen(ItemType.COOKIE, f"{cookie.name} ({domain})", cookie.name, domain, domain, {}, cookie.party)
        current = sight(seen, cookie.state, cookie.page, cookie.set_by)
        if cookie.expires is not None:
            current.expires = cookie.expires if current.expires is None else max(current.expires, cookie.expires)
    for stored in observation.storage:
        item = f"{stored.area}:{stored.key} ({stored.origin})"
        seen = _Seen(ItemType.STORAGE, item, stored.key, stored.origin, hosts.of_origin(stored.origin), {})
        sight(seen, stored.state, stored.page, stored.set_by)
    for request in observation.requests:
        host = request.host.lower()
        seen = _Seen(ItemType.REQUEST, host, host, host, hosts.normalize(host), {}, Party.THIRD)
        sight(seen, request.state, request.page, request.initiator)
    for seen in gathered.values():
        seen.seen = _in_state_order(seen.seen)
    return list(gathered.values())


def classify(
    item_type: ItemType,
    name: str,
    host: str,
    *,
    declarations: Sequence[Declaration],
    service: Sequence[Declaration],
    knowledge: Knowledge,
    service_origin: str,
) -> Classification:
    """The operator's most specific matching declaration, else the service's own, else the knowledge base, else
    unknown. `name` is the cookie's name, the storage key or the request's `host[:port]`; `host` the cookie's
    domain, the storage origin's host or the request's host, normalized. A request to `service_origin` (its host
    and port) is the service's own, and necessary."""
    if item_type == ItemType.REQUEST:
        operator = [declaration for declaration in declarations if declaration.matches_request(host)]
        specificity: Callable[[Declaration], tuple[int, ...]] = Declaration.request_specificity
        own = [NECESSARY] if hosts.endpoint(name) == hosts.endpoint(urlsplit(service_origin).netloc) else []
        entry = knowledge.host(host)
    else:
        operator = [declaration for declaration in declarations if declaration.matches(name, host)]
        specificity = Declaration.specificity
        own = [declaration.purpose for declaration in service if declaration.matches(name, host)]
        entry = knowledge.cookie(name, host)
    if operator:
        chosen = max(operator, key=specificity)  # the first of equals, in the operator's order
        return Classification(chosen.purpose, Source.OPERATOR, chosen.id)
    if own:
        return Classification(own[0], Source.SERVICE)
    if entry is not None:
        return Classification(entry.purpose, Source.KNOWLEDGE, suggestion=Suggestion.of(entry))
    return Classification(UNKNOWN, Source.UNKNOWN)


def _classified(seen: _Seen, classification: Classification) -> Item:
    return Item(
        item_type=seen.item_type,
        item=seen.item,
        name=seen.name,
        domain=seen.domain,
        purpose=classification.purpose,
        source=classification.source,
        seen=seen.seen,
        party=seen.party,
        expires=seen.expires,
        declaration_id=classification.declaration_id,
        suggestion=classification.suggestion,
    )


def violations(items: Sequence[Item]) -> list[Finding]:
    """Everything present before a choice or after a refusal that is not necessary, unknown included."""
    found = []
    for item in items:
        restricted = {state: item.seen[state] for state in item.states if state in RESTRICTED_STATES}
        if not restricted or item.purpose == NECESSARY:
            continue
        when = " and ".join(WHEN[state] for state in restricted)
        verb = "requested" if item.item_type == ItemType.REQUEST else "present"
        if item.source == Source.UNKNOWN:
            detail = f"{verb} {when}; not classified: declare it as necessary if it is"
        else:
            detail = f"{verb} {when}, but it is for {item.purpose} ({_source_text(item)}); it must wait for consent"
        found.append(
            Finding(
                kind=Kind.VIOLATION,
                item_type=item.item_type,
                item=item.item,
                page=next(iter(restricted.values())).page,
                states=tuple(restricted),
                purpose=item.purpose,
                source=item.source,
                set_by=next((sighting.set_by for sighting in restricted.values() if sighting.set_by), None),
                detail=detail,
                declaration_id=item.declaration_id,
            )
        )
    return found


def gaps(items: Sequence[Item]) -> list[Finding]:
    """Cookies and storage keys neither the operator nor the service declares."""
    found = []
    for item in items:
        if item.item_type == ItemType.REQUEST or item.source in (Source.OPERATOR, Source.SERVICE):
            continue
        if item.suggestion is not None:
            hint = item.suggestion
            detail = (
                f"not declared; the Open Cookie Database knows it as {hint.purpose} "
                f"({hint.platform}, {hint.retention or 'retention unknown'}): declare it"
            )
        else:
            detail = "not declared, and not in the Open Cookie Database: declare it with its purpose"
        found.append(
            Finding(
                kind=Kind.GAP,
                item_type=item.item_type,
                item=item.item,
                page=item.page,
                states=item.states,
                purpose=item.purpose,
                source=item.source,
                set_by=item.set_by,
                detail=detail,
            )
        )
    return found


def stale(declarations: Sequence[Declaration], items: Sequence[Item]) -> list[Finding]:
    """Operator declarations nothing seen matches; a "*" on a domain is also seen by a request to that domain."""
    set_items = [(item.name, _host(item)) for item in items if item.item_type in (ItemType.COOKIE, ItemType.STORAGE)]
    request_hosts = [_host(item) for item in items if item.item_type == ItemType.REQUEST]
    found = []
    for declaration in declarations:
        if declaration.id is None:
            continue
        if any(declaration.matches(name, host) for name, host in set_items):
            continue
        if declaration.name_pattern == "*" and any(declaration.matches_request(host) for host in request_hosts):
            continue
        found.append(
            Finding(
                kind=Kind.STALE,
                item_type=ItemType.DECLARATION,
                item=declaration.label(),
                page=None,
                states=(),
                purpose=declaration.purpose,
                source=Source.OPERATOR,
                set_by=None,
                detail="declared, but seen in no state on the pages scanned: remove it, or scan the page that sets it",
                declaration_id=declaration.id,
            )
        )
    return found


def compare(previous: Assessment, current: Assessment) -> Comparison:
    """Findings new in `current`, resolved since `previous`, and how many stayed, by their key."""
    before = {finding.key for finding in previous.findings}
    now = {finding.key for finding in current.findings}
    return Comparison(
        new=tuple(finding for finding in current.findings if finding.key not in before),
        resolved=tuple(finding for finding in previous.findings if finding.key not in now),
        unchanged=len(before & now),
    )


_V = TypeVar("_V")


def _in_state_order(by_state: Mapping[State, _V]) -> dict[State, _V]:
    return {state: by_state[state] for state in State if state in by_state}


def _source_text(item: Item) -> str:
    if item.source == Source.OPERATOR:
        return f"declared by the operator as {item.declaration_id}" if item.declaration_id else "declared"
    if item.source == Source.KNOWLEDGE and item.suggestion is not None:
        return f"the Open Cookie Database: {item.suggestion.platform}"
    return item.source.value


def _host(item: Item) -> str:
    if item.item_type == ItemType.STORAGE:
        return hosts.of_origin(item.domain)
    return hosts.normalize(item.domain)


def _finding_order(finding: Finding) -> tuple[int, int, str, str]:
    return (
        list(Kind).index(finding.kind),
        list(ItemType).index(finding.item_type),
        finding.item,
        finding.declaration_id or "",
    )


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "item_type": finding.item_type.value,
        "item": finding.item,
        "page": finding.page,
        "states": [state.value for state in finding.states],
        "purpose": finding.purpose,
        "source": finding.source.value,
        "set_by": finding.set_by,
        "detail": finding.detail,
        "declaration_id": finding.declaration_id,
    }


def _finding_from_json(data: Mapping[str, Any]) -> Finding:
    return Finding(
        kind=Kind(data["kind"]),
        item_type=ItemType(data["item_type"]),
        item=data["item"],
        page=data["page"],
        states=tuple(State(state) for state in data["states"]),
        purpose=data["purpose"],
        source=Source(data["source"]),
        set_by=data["set_by"],
        detail=data["detail"],
        declaration_id=data["declaration_id"],
    )


def _item_json(item: Item) -> dict[str, Any]:
    suggestion = item.suggestion
    return {
        "item_type": item.item_type.value,
        "item": item.item,
        "name": item.name,
        "domain": item.domain,
        "purpose": item.purpose,
        "source": item.source.value,
        "states": [state.value for state in item.states],  # derived from "seen", for readers
        "page": item.page,  # derived from "seen", for readers
        "set_by": item.set_by,  # derived from "seen", for readers
        "seen": {state.value: {"page": sight.page, "set_by": sight.set_by} for state, sight in item.seen.items()},
        "party": item.party.value if item.party is not None else None,
        "expires": item.expires,
        "declaration_id": item.declaration_id,
        "suggestion": None
        if suggestion is None
        else {
            "purpose": suggestion.purpose,
            "retention": suggestion.retention,
            "description": suggestion.description,
            "platform": suggestion.platform,
        },
    }


def _item_from_json(data: Mapping[str, Any]) -> Item:
    suggestion = data["suggestion"]
    seen = {State(state): Sighting(sighting["page"], sighting["set_by"]) for state, sighting in data["seen"].items()}
    return Item(
        item_type=ItemType(data["item_type"]),
        item=data["item"],
        name=data["name"],
        domain=data["domain"],
        purpose=data["purpose"],
        source=Source(data["source"]),
        seen=_in_state_order(seen),
        party=Party(data["party"]) if data["party"] is not None else None,
        expires=data["expires"],
        declaration_id=data["declaration_id"],
        suggestion=None if suggestion is None else Suggestion(**suggestion),
    )
