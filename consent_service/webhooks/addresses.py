"""Which IP addresses may receive webhooks in production: the IANA special-purpose registries, as data.

An address is refused when the most specific range holding it is one the registries do not mark
globally reachable; a range that embeds an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) is judged
by the address it embeds. IPv6 outside 2000::/3 (global unicast, RFC 4291 §2.4) is refused whatever
the registry says, which covers the reserved space, deprecated site-local fec0::/10 and multicast.
Sources: https://www.iana.org/assignments/iana-ipv4-special-registry and iana-ipv6-special-registry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Embedded = Callable[[ipaddress.IPv6Address], tuple[ipaddress.IPv4Address, ...]]


def _low_32_bits(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)


def _sixtofour(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return (address.sixtofour,) if address.sixtofour is not None else ()


def _teredo(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    # The server's address, and the client's (its NAT's public address, stored inverted).
    return address.teredo or ()


@dataclass(frozen=True)
class SpecialRange:
    """One registry entry: a webhook may go there only if it is globally reachable; `embedded`
    ranges are judged by the IPv4 address(es) they carry instead."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    source: str
    globally_reachable: bool
    embedded: Embedded | None = None


def _range(
    network: str, name: str, source: str, globally_reachable: bool, embedded: Embedded | None = None
) -> SpecialRange:
    return SpecialRange(ipaddress.ip_network(network), name, source, globally_reachable, embedded)


SPECIAL_RANGES: tuple[SpecialRange, ...] = (
    # IANA IPv4 Special-Purpose Address Registry.
    _range("0.0.0.0/8", "this network", "RFC 791", False),
    _range("0.0.0.0/32", "this host on this network", "RFC 1122", False),
    _range("10.0.0.0/8", "private use", "RFC 1918", False),
    _range("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598", False),
    _range("127.0.0.0/8", "loopback", "RFC 1122", False),
    _range("169.254.0.0/16", "link local", "RFC 3927", False),
    _range("172.16.0.0/12", "private use", "RFC 1918", False),
    _range("192.0.0.0/24", "IETF protocol assignments", "RFC 6890", False),
    _range("192.0.0.0/29", "IPv4 service continuity prefix", "RFC 7335", False),
    _range("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", False),
    _range("192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723", True),
    _range("192.0.0.10/32", "TURN anycast", "RFC 8155", True),
    _range("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880", False),
    _range("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880", False),
    _range("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737", False),
    _range("192.31.196.0/24", "AS112-v4", "RFC 7535", True),
    _range("192.52.193.0/24", "AMT", "RFC 7450", True),
    _range("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526", False),
    _range("192.168.0.0/16", "private use", "RFC 1918", False),
    _range("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534", True),
    _range("198.18.0.0/15", "benchmarking", "RFC 2544", False),
    _range("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737", False),
    _range("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737", False),
    _range("240.0.0.0/4", "reserved", "RFC 1112", False),
    _range("255.255.255.255/32", "limited broadcast", "RFC 8190", False),
    # Not special-purpose but never a TCP peer: the IPv4 multicast address space.
    _range("224.0.0.0/4", "multicast", "RFC 5771", False),
    # IANA IPv6 Special-Purpose Address Registry.
    _range("::1/128", "loopback", "RFC 4291", False),
    _range("::/128", "unspecified", "RFC 4291", False),
    # Deprecated (RFC 4291 §2.5.5.1) and routed nowhere useful: refused whole, ::7f00:1 with it.
    _range("::/96", "deprecated IPv4-compatible", "RFC 4291", False),
    _range("::ffff:0:0/96", "IPv4-mapped", "RFC 4291", False, _low_32_bits),
    _range("64:ff9b::/96", "IPv4-IPv6 translation (NAT64)", "RFC 6052", True, _low_32_bits),
    _range("64:ff9b:1::/48", "IPv4-IPv6 translation, local use", "RFC 8215", False),
    _range("100::/64", "discard-only", "RFC 6666", False),
    _range("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780", False),
    _range("2001::/23", "IETF protocol assignments", "RFC 2928", False),
    _range("2001::/32", "Teredo", "RFC 4380", True, _teredo),
    _range("2001:1::1/128", "Port Control Protocol anycast", "RFC 7723", True),
    _range("2001:1::2/128", "TURN anycast", "RFC 8155", True),
    _range("2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665", True),
    _range("2001:2::/48", "benchmarking", "RFC 5180", False),
    _range("2001:3::/32", "AMT", "RFC 7450", True),
    _range("2001:4:112::/48", "AS112-v6", "RFC 7535", True),
    _range("2001:10::/28", "deprecated ORCHID", "RFC 4843", False),
    _range("2001:20::/28", "ORCHIDv2", "RFC 7343", True),
    _range("2001:30::/28", "drone remote ID entity tags", "RFC 9374", True),
    _range("2001:db8::/32", "documentation", "RFC 3849", False),
    _range("2002::/16", "6to4", "RFC 3056", True, _sixtofour),
    _range("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534", True),
    _range("3fff::/20", "documentation", "RFC 9637", False),
    _range("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602", False),
    _range("fc00::/7", "unique local", "RFC 4193", False),
    _range("fe80::/10", "link-local unicast", "RFC 4291", False),
    # Not in the registry (deprecated by RFC 3879) but still routed by some stacks.
    _range("fec0::/10", "deprecated site-local", "RFC 3879", False),
    _range("ff00::/8", "multicast", "RFC 4291", False),
)
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Most specific first, so the first range holding an address is the one that decides.
_BY_SPECIFICITY = sorted(SPECIAL_RANGES, key=lambda entry: entry.network.prefixlen, reverse=True)


def refusal(address: str | IPAddress) -> str | None:
    """Why `address` may not receive a webhook (the range and its RFC), or None if it may.
    A string that is not an IP address raises ValueError; a scoped one (fe80::1%eth0) is refused."""
    if isinstance(address, str):
        if "%" in address:
            return "a scoped (zone) address"
        address = ipaddress.ip_address(address)
    for entry in _BY_SPECIFICITY:
        if address.version != entry.network.version or address not in entry.network:
            continue
        if entry.embedded is not None:
            embedded = entry.embedded(address)  # type: ignore[arg-type]
            reasons = [refusal(inner) for inner in embedded] if embedded else [f"{entry.name} without an address"]
            refused = next((reason for reason in reasons if reason), None)
            return f"{entry.name} ({entry.source}) of {refused}" if refused else None
        return None if entry.globally_reachable else f"{entry.name} ({entry.source})"
    if address.version == 6 and address not in GLOBAL_UNICAST:
        return "outside IPv6 global unicast 2000::/3 (RFC 4291)"
    return None
