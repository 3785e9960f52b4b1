"""Which URLs a scan may navigate to, and the site (registrable domain) a host belongs to."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from publicsuffixlist import PublicSuffixList

from consent_service.errors import ValidationFailed

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@cache
def _suffixes() -> PublicSuffixList:
    # The list ships inside the package (no network); parsing it once per process is enough.
    return PublicSuffixList()


def site_of(host: str) -> str:
    """The registrable domain of `host` by the Public Suffix List; an IP address is its own site.

    `host` is a bare host name (no port); IPv6 may come bracketed. A host that is itself a public
    suffix, or a single label such as "localhost", is its own site. The result is lowercase.
    """
    bare = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    return _suffixes().privatesuffix(bare) or bare


def origin_of(url: str) -> str | None:
    """`scheme://host:port` with the port always written, or None when `url` has no http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or an unbalanced IPv6 bracket
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


@dataclass(frozen=True)
class Scope:
    """The origins (scheme, host, port) a scan may navigate to: the start URLs' and the operator's extra ones.

    Following only these origins, rather than every origin of the start URLs' sites, keeps the scanner
    to the addresses the operator gave: a link to another host or port of the same site is not visited.
    """

    origins: frozenset[str]

    @classmethod
    def of(cls, start_urls: Iterable[str], extra_origins: Iterable[str] = ()) -> Scope:
        """The scope of a scan; ValidationFailed names every start URL or extra origin that is not http(s)."""
        origins: set[str] = set()
        errors: dict[str, list[str]] = {}
        for field, values in (("start_urls", start_urls), ("extra_origins", extra_origins)):
            for value in values:
                origin = origin_of(value)
                if origin is None:
                    errors.setdefault(field, []).append(f"{value!r} is not an http(s) URL with a host.")
                else:
                    origins.add(origin)
        if errors:
            raise ValidationFailed("The scan's addresses must be http(s) URLs.", errors=errors)
        if not origins:
            raise ValidationFailed("A scan needs at least one start URL.", errors={"start_urls": ["Give one."]})
        return cls(origins=frozenset(origins))

    def refusal(self, url: str) -> str | None:
        """Why the scan may not navigate to `url`, or None when it may. Decided before any connection."""
        origin = origin_of(url)
        if origin is None:
            return f"not an http(s) URL: {url[:200]}"
        if origin not in self.origins:
            return f"outside the scope: {origin}"
        return None
