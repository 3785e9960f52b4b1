"""Host names as the scanner compares them: normalized, and matched on whole labels, an IP address only by itself."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def normalize(value: str) -> str:
    """A cookie domain, a `host[:port]` or a bare host as one lowercase host: no port, brackets, or outer dots.

    ".Example.com" (a domain cookie) -> "example.com"; "cdn.example.com:8443" -> "cdn.example.com";
    "[::1]:8080" -> "::1".
    """
    host = value.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:  # host:port; more than one colon is a bare IPv6 address
        host = host.partition(":")[0]
    return host.strip(".")


def endpoint(netloc: str) -> tuple[str, int | None]:
    """`host[:port]` as (normalized host, port), the port None when absent or 80/443: what tells two services on
    one host apart without a scheme at hand."""
    parts = urlsplit("//" + netloc.strip())
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range: no endpoint of ours
        port = -1
    return normalize(parts.hostname or ""), None if port in (None, 80, 443) else port


def of_origin(origin: str) -> str:
    """The host of `scheme://host[:port]` (or of a whole URL), normalized; "" when it has none."""
    return normalize(urlsplit(origin).hostname or "")


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def covers(domain: str, host: str) -> bool:
    """Whether `domain` is `host` or one of its parent domains, label by label: "example.com" covers
    "www.example.com" but not "badexample.com"; an IP address covers only itself. Both normalized."""
    if not domain or not host:
        return False
    if domain == host:
        return True
    return not is_ip(host) and not is_ip(domain) and host.endswith("." + domain)


def parents(host: str) -> list[str]:
    """`host` and its parent domains, longest first ("a.b.com" -> ["a.b.com", "b.com", "com"]); none for an IP."""
    if not host or is_ip(host):
        return []
    labels = host.split(".")
    return [".".join(labels[index:]) for index in range(len(labels))]
