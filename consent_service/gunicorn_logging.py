"""gunicorn's own log lines under the service's rules: client networks, not addresses; no paths, no values."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import timedelta
from typing import Any

from gunicorn import glogging
from gunicorn.config import Config
from gunicorn.http import Request
from gunicorn.http.wsgi import Response

from consent_service.logs import format_exception, redact, truncated_ip

# gunicorn's warning for a malformed request names the peer and quotes what it sent (a request line, a header).
CLIENT_ERROR = re.compile(r"Invalid request from ip=(?P<ip>\S*?): (?P<error>.*)", re.DOTALL)
# What gunicorn says of the error comes before the quoted bytes: "Invalid HTTP request line: 'GET /...'".
QUOTED = re.compile(r"""[:\s]*['"].*""", re.DOTALL)
# "Error handling request %s %s" (method, URI) or "... %s" (URI): the URI carries subject ids and signed links.
REQUEST_ERROR = "Error handling request"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Request headers an access log format may name; the others may carry keys, cookies or addresses.
LOGGABLE_HEADERS = frozenset({"{user-agent}i", "{x-request-id}i", "{content-type}i", "{content-length}i"})


class PrivacyFilter(logging.Filter):
    """Rewrites each record of gunicorn's loggers before any handler formats it. The addresses gunicorn binds
    to are its own, not anyone's personal data: "Listening at: http://10.0.0.5:8000" stays as it is."""

    def __init__(self, own_addresses: Iterable[str] = ()) -> None:
        super().__init__()
        self.own_addresses = tuple(sorted({address for address in own_addresses if address}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(record.msg, str) and record.msg.startswith(REQUEST_ERROR) and isinstance(args, tuple) and args:
            method = args[0] if len(args) == 2 and args[0] in HTTP_METHODS else "-"
            record.msg, record.args = REQUEST_ERROR + " %s [uri not logged]", (method,)
        message = record.getMessage()
        client_error = CLIENT_ERROR.fullmatch(message)
        if client_error:
            network = truncated_ip(client_error["ip"]) or "-"
            message = f"Invalid request from network={network}: {self._redact(QUOTED.sub('', client_error['error']))}"
        else:
            message = self._redact(message)
        record.msg, record.args = message, ()
        if record.exc_info and record.exc_info[1] is not None:
            # The formatter prints exc_text as it is; computed here, it never sees the raw exception.
            record.exc_text = redact(format_exception(record.exc_info[1]))
        return True

    def _redact(self, message: str) -> str:
        kept = [address for address in self.own_addresses if address in message]
        for number, address in enumerate(kept):
            message = message.replace(address, f"\0own{number}\0")
        message = redact(message)
        for number, address in enumerate(kept):
            message = message.replace(f"\0own{number}\0", address)
        return message


def bound_addresses(binds: Iterable[str]) -> set[str]:
    """The hosts of gunicorn's bind settings ("127.0.0.1:8000", "[::1]:8000", "unix:/run/x.sock")."""
    return {bind.rsplit(":", 1)[0].strip("[]") for bind in binds if not bind.startswith(("unix:", "fd://"))}


class PrivateLogger(glogging.Logger):
    """gunicorn's logger with PrivacyFilter on its error and access logs, and access-log atoms that hold the
    client's /24 or /48 network instead of its address and no path, query, referrer or sensitive header."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        own = bound_addresses(cfg.bind)
        for log in (self.error_log, self.access_log):
            for existing in [f for f in log.filters if isinstance(f, PrivacyFilter)]:
                log.removeFilter(existing)  # a configuration reload may bind elsewhere
            log.addFilter(PrivacyFilter(own))

    # The stubs type the atoms as a TypedDict without gunicorn's "{header}i" and "{variable}e" atoms, which
    # this override exists to filter: a plain dict says what it returns.
    def atoms(  # type: ignore[override]  # returns a dict with header atoms the stubs' TypedDict lacks
        self, resp: Response, req: Request, environ: MutableMapping[str, Any], request_time: timedelta
    ) -> dict[str, object]:
        inherited: Mapping[str, object] = super().atoms(resp, req, environ, request_time)
        atoms = {
            name: value
            for name, value in inherited.items()
            if not (name.startswith("{") and name.endswith(("}i", "}e"))) or name in LOGGABLE_HEADERS
        }
        atoms.update(
            h=truncated_ip(environ.get("REMOTE_ADDR")) or "-",
            r=f"{environ.get('REQUEST_METHOD')} - {environ.get('SERVER_PROTOCOL')}",
            U="-",
            q="-",
            f="-",
        )
        return atoms
