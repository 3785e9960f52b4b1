"""Which requests write: on SQLite they take the write lock up front (BEGIN IMMEDIATE); the others only read.

SQLite's default (deferred) BEGIN takes the write lock at the first write. Under several gunicorn workers, a
transaction that read first and then writes fails at once with "database is locked" when another worker wrote in
between (busy_timeout does not help: the snapshot it read is stale). A writer that begins with BEGIN IMMEDIATE
queues on busy_timeout instead, so every request that may write says so before its first statement.

The rule is the HTTP method (unsafe methods write, safe ones read), with the exceptions below named by endpoint.
In tests (env testing) a write from a request classified as read-only is an error, so a GET that starts writing
is caught by the suite; in production it is logged. PostgreSQL takes row locks as it goes and is unaffected.
"""

from __future__ import annotations

import logging
import re

from flask import has_request_context, request
from sqlalchemy import Engine, event

from consent_service.database import configure_sqlite

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only read: the lock would serialize them for nothing.
READ_ONLY_ENDPOINTS = frozenset(
    {
        "consents.checks",
    }
)
# GETs that may write.
WRITING_ENDPOINTS = frozenset(
    {
        "banner.config",  # stores each banner version the first time it is served (the proof of what was shown)
        "rights.receipt",  # the first signature ever creates the first signing key
        "privacy_requests.receipt",  # the same, for a privacy request's receipt
        "privacy_request_pages.ReceiptDownload",  # the same, for a privacy request's receipt
        "privacy_request_pages.ExportDownload",  # each download of a copy of the data is a `downloaded` step
    }
)
WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class UndeclaredWrite(RuntimeError):
    """A request classified as read-only wrote: add its endpoint to WRITING_ENDPOINTS."""


def request_writes() -> bool:
    """Whether the current request may write; outside a request (CLI, workers, tests' own setup) no lock up front."""
    if not has_request_context():
        return False
    endpoint = request.endpoint
    if endpoint in WRITING_ENDPOINTS:
        return True
    if endpoint in READ_ONLY_ENDPOINTS:
        return False
    return request.method not in SAFE_METHODS


def bind(engine: Engine, *, strict: bool) -> None:
    """SQLite engines: durable pragmas, BEGIN IMMEDIATE for writing requests, and a watch for undeclared writes."""
    if engine.dialect.name != "sqlite":
        return
    configure_sqlite(engine, writes_expected=request_writes)

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(_connection, _cursor, statement, _parameters, _context, _executemany):
        if not WRITE_STATEMENT.match(statement) or not has_request_context() or request.url_rule is None:
            return
        if request_writes():
            return
        message = (
            f"{request.method} {request.url_rule.rule} (endpoint {request.endpoint}) writes but is classified "
            "read-only; add it to WRITING_ENDPOINTS in consent_service/write_intent.py"
        )
        if strict:
            raise UndeclaredWrite(message)
        log.warning("%s", message)
