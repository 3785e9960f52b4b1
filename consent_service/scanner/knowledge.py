"""What cookies and hosts are commonly for: the Open Cookie Database, converted to our purposes (data/)."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from consent_service.scanner import hosts

DATA_FILE = "open-cookie-database.json"
# A host known for several purposes is classified by the strictest: a request to a site that also serves
# functional cookies is still a request to a tracker. Earlier in this tuple is stricter.
STRICTNESS = ("advertising", "analytics", "preferences", "necessary")


@dataclass(frozen=True)
class Entry:
    name: str  # the cookie name or storage key; the prefix when `wildcard`
    wildcard: bool
    domain: str  # normalized ("google-analytics.com"); "" when the database names none
    purpose: str  # one of STRICTNESS
    platform: str
    retention: str
    description: str


def _strictness(entry: Entry) -> int:
    return STRICTNESS.index(entry.purpose) if entry.purpose in STRICTNESS else -1


class Knowledge:
    """Lookups over immutable entries; build one from entries, or `load()` the packaged database."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        exact: defaultdict[str, list[Entry]] = defaultdict(list)
        prefixes: defaultdict[str, list[Entry]] = defaultdict(list)
        by_domain: defaultdict[str, list[Entry]] = defaultdict(list)
        for entry in self.entries:
            (prefixes if entry.wildcard else exact)[entry.name].append(entry)
            if entry.domain:
                by_domain[entry.domain].append(entry)
        self._exact = dict(exact)
        self._prefixes = dict(prefixes)
        self._prefix_lengths = sorted({len(prefix) for prefix in self._prefixes}, reverse=True)
        self._hosts = {domain: min(found, key=_strictness) for domain, found in by_domain.items()}

    @classmethod
    def load(cls) -> Knowledge:
        """The packaged Open Cookie Database; read once per process (it is immutable data)."""
        return _packaged()

    def cookie(self, name: str, domain: str) -> Entry | None:
        """The entry for a cookie or storage key: its exact name first, then the longest wildcard prefix of it;
        among several, the first whose domain covers `domain` (a cookie domain, host or origin host)."""
        host = hosts.normalize(domain)
        candidates = self._exact.get(name)
        if candidates is None:
            candidates = next(
                (
                    self._prefixes[name[:length]]
                    for length in self._prefix_lengths
                    if length <= len(name) and name[:length] in self._prefixes
                ),
                None,
            )
        if not candidates:
            return None
        return next((entry for entry in candidates if hosts.covers(entry.domain, host)), candidates[0])

    def host(self, host: str) -> Entry | None:
        """The entry for a request host: the longest entry domain that is the host or a parent of it, never an IP.
        A domain known for several purposes answers with its strictest entry (STRICTNESS)."""
        known = (self._hosts.get(domain) for domain in hosts.parents(hosts.normalize(host)))
        return next((entry for entry in known if entry is not None), None)


@functools.cache
def _packaged() -> Knowledge:
    data = json.loads((resources.files("consent_service.scanner") / "data" / DATA_FILE).read_text(encoding="utf-8"))
    fields = data["fields"]
    return Knowledge(Entry(**dict(zip(fields, values, strict=True))) for values in data["entries"])
