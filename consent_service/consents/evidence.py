"""Evidence minimization: keep enough to prove a consent, nothing that identifies more than needed."""

from __future__ import annotations

import ipaddress
import re

# Longest prefix kept of an address: /24 for IPv4 and /48 for IPv6, as common analytics practice.
IPV4_PREFIX = 24
IPV6_PREFIX = 48

_FAMILIES = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* .*Safari/")),
)


def truncate_ip(address: str) -> str:
    """The network an address belongs to, never the address itself (ValueError if not an IP)."""
    ip = ipaddress.ip_address(address.strip())
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def user_agent_family(user_agent: str) -> str:
    """The browser family and major version of a user agent, e.g. 'Firefox 128'."""
    for family, pattern in _FAMILIES:
        match = pattern.search(user_agent)
        if match:
            return f"{family} {match.group(1)}"
    if "bot" in user_agent.lower() or "spider" in user_agent.lower():
        return "Bot"
    return "Other"


def minimize(*, reference: str | None = None, ip: str | None = None, user_agent: str | None = None) -> dict[str, str]:
    evidence: dict[str, str] = {}
    if reference:
        evidence["reference"] = reference
    if ip:
        evidence["ip_network"] = truncate_ip(ip)
    if user_agent:
        evidence["user_agent_family"] = user_agent_family(user_agent)
    return evidence
