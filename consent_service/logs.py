"""Structured JSON logs: a request id per request, one access line each, secrets and personal data redacted."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import re
import sqlite3
import sys
import threading
import time
import traceback
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, TypeGuard

from flask import Flask, g, has_request_context, request
from sqlalchemy.exc import StatementError

if TYPE_CHECKING:
    from psycopg import Error as DriverError

# What sys.exc_info() returns, as Flask's log_exception and logging's formatException take it.
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed back only if it is short and plain; anything else is replaced, never logged.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("consent_service.access")
# "<subject_kind:kind>" is logged as "<kind>".
CONVERTER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")

# Order matters: whole tokens and keys go before the shorter patterns could cut them apart. Each pattern
# comes with a piece of text it cannot match without, so a line without that piece skips its regex.
REDACTIONS = (
    ("sk_", re.compile(r"\b(sk_[a-z0-9]{8})_[A-Za-z0-9]+"), r"\1_[redacted]"),
    ("whsec_", re.compile(r"\bwhsec_[A-Za-z0-9_\-+/=]+"), "whsec_[redacted]"),
    ("eyJ", re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), "[token]"),
    # Starting only where a run of such characters starts keeps a long run without "@" linear, not quadratic.
    ("@", re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (".", re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b"), r"\1.0"),
    # IPv6: "::" or all eight groups, so clock times such as 09:30:00 are left alone.
    (":", re.compile(r"(?<![\w:])(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){7})[0-9a-fA-F:]{2,39}(?![\w:])"), "[ipv6]"),
)

# json.dumps(entry, default=str) with its encoder built once, not per line.
JSON_LINE = json.JSONEncoder(default=str)


def redact(text: str) -> str:
    for needed, pattern, replacement in REDACTIONS:
        if needed in text:
            text = pattern.sub(replacement, text)
    return text


@functools.lru_cache(maxsize=1024)  # one entry per route of the app: each is rewritten once per process
def route_pattern(rule: str) -> str:
    """The route as logged and counted: "/v1/subjects/<kind>/<subject_id>/consents", converters dropped."""
    return CONVERTER.sub(r"<\1>", rule)


def truncated_ip(address: str | None) -> str | None:
    """The network, not the host: /24 for IPv4, /48 for IPv6, enough to follow abuse and no more."""
    if not address:
        return None
    return _truncated_ip(address)


# Every request logs its peer's network, and behind a proxy or from a busy client the peer repeats.
@functools.lru_cache(maxsize=1024)
def _truncated_ip(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


# SQLite never puts a bound value in a message; a trigger's RAISE message is the one it may not be told apart from.
SQLITE_TRIGGER_ERROR = "SQLITE_CONSTRAINT_TRIGGER"


def describe_exception(error: BaseException) -> str:
    """An exception's type and message as logged. A database error is told by its kind, its SQLSTATE, the
    schema objects it names, the engine's own message where it quotes no value, and its SQL; never by its
    parameters, PostgreSQL's DETAIL ("Key (external_id)=(...) already exists", "Failing row contains (...)")
    or a message that may quote input. Any other exception's message is redacted."""
    name = _qualified_name(type(error))
    if isinstance(error, StatementError):
        described = f"{name}: ({_database_cause(error.orig)})" if error.orig is not None else name
        return described + (f" [SQL: {error.statement}]" if error.statement else "")
    if isinstance(error, sqlite3.Error) or _is_driver_error(error):
        return _database_cause(error)
    return f"{name}: {redact(str(error))}" if str(error) else name


def _database_cause(error: BaseException) -> str:
    parts = [_qualified_name(type(error))]
    if _is_driver_error(error):
        from consent_service.stores.postgres_driver import loggable_driver_error

        parts += loggable_driver_error(error)
    elif isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorname", None)
        parts += [code] if code else []
        if code != SQLITE_TRIGGER_ERROR:
            parts.append(str(error))
    return ", ".join(parts)


def _is_driver_error(error: BaseException) -> TypeGuard[DriverError]:
    """A psycopg error; looked up, not imported: a process that never loaded the driver has none to describe, and
    the `flask` commands on SQLite start without it."""
    driver = sys.modules.get("psycopg")
    return driver is not None and isinstance(error, driver.Error)


def _qualified_name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def format_exception(error: BaseException) -> str:
    """A traceback as Python prints one, causes and contexts first, each exception told by describe_exception."""
    return "".join(_traceback_lines(error, seen=set())).rstrip("\n")


def _traceback_lines(error: BaseException, *, seen: set[int]) -> list[str]:
    seen.add(id(error))
    lines: list[str] = []
    if error.__cause__ is not None and id(error.__cause__) not in seen:
        lines += _traceback_lines(error.__cause__, seen=seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif error.__context__ is not None and not error.__suppress_context__ and id(error.__context__) not in seen:
        lines += _traceback_lines(error.__context__, seen=seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if error.__traceback__ is not None:
        lines += ["Traceback (most recent call last):\n", *traceback.format_tb(error.__traceback__)]
    lines.append(describe_exception(error) + "\n")
    return lines


class ServiceFlask(Flask):
    """Flask, logging an unhandled exception under its route's pattern: the path carries subject ids and links."""

    def log_exception(self, exc_info: ExcInfo) -> None:
        route = route_pattern(request.url_rule.rule) if request.url_rule else None
        self.logger.error("Exception on %s [%s]", route, request.method, exc_info=exc_info)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every text field passes through redact(), exceptions through format_exception()."""

    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return JSON_LINE.encode(entry)

    def formatException(self, ei: ExcInfo) -> str:
        return format_exception(ei[1]) if ei[1] is not None else ""


def configure_logging() -> None:
    """JSON on stderr, unless something (a test runner, an embedding app) configured logging already."""
    # Alembic announces each of its plugins at INFO whenever it loads: noise on every worker boot.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # An exception nothing caught (a CLI command's, a thread's) is logged like any other, not printed raw:
    # Python's own traceback would print the database's message, values and all.
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


uncaught_log = logging.getLogger("consent_service.uncaught")


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    uncaught_log.critical("uncaught exception", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if issubclass(args.exc_type, SystemExit):
        return
    uncaught_log.critical(
        "uncaught exception in thread %s", args.thread.name if args.thread else "?", exc_info=args.exc_value
    )


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if REQUEST_ID_PATTERN.fullmatch(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        # The route's pattern, never the path: paths carry customer ids and signed link tokens.
        route = route_pattern(request.url_rule.rule) if request.url_rule else None
        access_log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                    "client_network": truncated_ip(request.remote_addr),
                    "request_id": request_id,
                }
            },
        )
        return response
