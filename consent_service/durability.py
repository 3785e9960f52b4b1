"""Checked at start: the database really is durable (SQLite WAL + FULL sync, PostgreSQL fsync + sync commit)."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from consent_service.config import ConfigError

log = logging.getLogger(__name__)

SQLITE_SYNCHRONOUS_FULL = 2
MIN_BUSY_TIMEOUT_MS = 1000


class NotDurable(ConfigError):
    """The database would acknowledge writes it could lose; the message names the setting."""


def problems(engine: Engine) -> list[str]:
    """What is wrong with the database's durability settings, as read from a live connection."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return _sqlite_problems(connection)
        if engine.dialect.name == "postgresql":
            return _postgres_problems(connection)
    return []


def _sqlite_problems(connection: Connection) -> list[str]:
    found = []
    journal = connection.execute(text("PRAGMA journal_mode")).scalar()
    if str(journal).lower() != "wal":
        found.append(f"SQLite journal_mode is {journal!r}, not 'wal' (is the file on a network filesystem?)")
    if connection.execute(text("PRAGMA synchronous")).scalar() != SQLITE_SYNCHRONOUS_FULL:
        found.append("SQLite synchronous is not FULL")
    if connection.execute(text("PRAGMA busy_timeout")).scalar_one() < MIN_BUSY_TIMEOUT_MS:
        found.append(f"SQLite busy_timeout is below {MIN_BUSY_TIMEOUT_MS} ms")
    return found


def _postgres_problems(connection: Connection) -> list[str]:
    found = []
    for setting, durable in (
        ("fsync", {"on"}),
        ("synchronous_commit", {"on", "remote_apply", "remote_write", "local"}),
    ):
        value = connection.execute(text(f"SHOW {setting}")).scalar()
        if value not in durable:
            found.append(f"PostgreSQL {setting} is {value!r}")
    return found


def check(engine: Engine, *, refuse: bool) -> None:
    """Refuse to start on a non-durable database, or (DURABILITY_CHECK=warn) say so loudly at every start."""
    try:
        found = problems(engine)
    except OperationalError as error:
        log.warning("durability not checked: the database is unreachable (%s)", error.orig.__class__.__name__)
        return
    if not found:
        return
    message = "the database can lose acknowledged writes: " + "; ".join(found)
    if refuse:
        raise NotDurable(message + " (set DURABILITY_CHECK=warn to start anyway)")
    log.error("DURABILITY WARNING: %s", message)
