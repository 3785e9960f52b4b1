"""POST one webhook: no redirects, a total deadline, and no private targets unless allowed (SSRF)."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from consent_service.webhooks.addresses import refusal

# An address getaddrinfo resolved: its family and the socket address to connect to.
Resolved = tuple[int, tuple[Any, ...]]

USER_AGENT = "consent-service-webhooks/1"
MAX_URL_LENGTH = 2000
RESPONSE_BYTES_READ = 4096


class TargetRefused(Exception):
    """The URL may not receive webhooks (scheme, credentials, or a private address in production)."""


class DeliveryFailed(Exception):
    """The request did not produce an HTTP response (DNS, connection, TLS, timeout)."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL as it will be called, or TargetRefused; addresses behind names are checked when sending."""
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"At most {MAX_URL_LENGTH} characters.")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("An http or https URL with a host.")
    if parts.username or parts.password:
        raise TargetRefused("No credentials in the URL; receivers verify the signature instead.")
    if parts.fragment:
        raise TargetRefused("No fragment (#...) in the URL.")
    try:
        _ = parts.port  # urllib checks the port only when it is read
    except ValueError:
        raise TargetRefused("The port is not a number between 0 and 65535.") from None
    host = parts.hostname.lower().rstrip(".")
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetRefused("Private, loopback and link-local addresses may not receive webhooks.")
        refused = _literal_refusal(parts.hostname)
        if refused:
            raise TargetRefused(f"Only public addresses may receive webhooks, not {refused}.")
    return url


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Response:
    """Send the request to an address checked once and then used, so DNS cannot change it in between."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses = _resolve(parts.hostname or "", port, allow_private=allow_private)
    current: list[socket.socket] = []
    fired = threading.Event()
    connection_type = http.client.HTTPSConnection if https else http.client.HTTPConnection
    connection = connection_type(parts.hostname or "", port, timeout=timeout)
    # Per-operation socket timeouts do not bound a receiver that trickles bytes; this bounds the whole call.
    watchdog = threading.Timer(timeout, _abort, (current, fired))
    watchdog.start()
    try:
        current.append(_connect(addresses, timeout))
        if https:
            current.append(ssl.create_default_context().wrap_socket(current[-1], server_hostname=parts.hostname))
        connection.sock = current[-1]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        with connection.getresponse() as response:
            response.read(RESPONSE_BYTES_READ)
            return Response(status=response.status, reason=response.reason)
    except (OSError, http.client.HTTPException) as error:
        if fired.is_set():
            raise DeliveryFailed(f"timed out after {timeout:g} s") from None
        raise DeliveryFailed(f"{type(error).__name__}: {error}"[:400]) from None
    finally:
        watchdog.cancel()
        connection.close()
        for sock in reversed(current):
            sock.close()


def _resolve(host: str, port: int, *, allow_private: bool) -> list[Resolved]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryFailed(f"cannot resolve {host}: {error}") from None
    addresses: list[Resolved] = [(family, sockaddr) for family, _, _, _, sockaddr in infos]
    if not allow_private:
        for _, sockaddr in addresses:
            refused = _address_refusal(sockaddr)
            if refused:
                raise TargetRefused(f"{host} resolves to an address that may not receive webhooks: {refused}")
    return addresses


def _connect(addresses: list[Resolved], timeout: float) -> socket.socket:
    error: OSError = OSError("no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as failed:
            sock.close()
            error = failed
    raise error


def _abort(current: list[socket.socket], fired: threading.Event) -> None:
    fired.set()
    for sock in current:
        with contextlib.suppress(OSError):  # already closed or never connected: nothing left to interrupt
            sock.shutdown(socket.SHUT_RDWR)


def _address_refusal(sockaddr: tuple) -> str | None:
    """Why a resolved address may not be connected to; an IPv6 scope id (sockaddr[3]) makes it link-scoped."""
    if len(sockaddr) == 4 and sockaddr[3]:
        return "a scoped (zone) address"
    return refusal(sockaddr[0])


def _literal_refusal(host: str) -> str | None:
    """For a host written as an address (in any form the resolver reads as one: 127.1, 2130706433,
    0x7f.0.0.1, [fe80::1%eth0]), why it is refused; None for a name, checked when it is resolved.
    AI_NUMERICHOST parses without asking any DNS server."""
    if "%" in host:
        return "a scoped (zone) address"
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return next((reason for reason in (_address_refusal(info[4]) for info in infos) if reason), None)
