"""Time and ids, injected so tests can fix them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current time of the running app (tests replace app.config["CLOCK"])."""
    return current_app.config["CLOCK"]()


def new_id(prefix: str) -> str:
    """A random, URL-safe public identifier such as 'evt_3kq...'."""
    return f"{prefix}_{secrets.token_hex(12)}"


def new_time_ordered_id(prefix: str, moment: datetime) -> str:
    """`new_id` whose ids sort by the time given (milliseconds), then 64 random bits: the b-tree index of
    a table with millions of them grows at its right edge, where random ids would land on a random page
    of an index far larger than memory, a read and a full-page WAL image per insert. The time it shows
    is the record's own, which the record carries anyway."""
    return f"{prefix}_{int(moment.timestamp() * 1000):012x}{secrets.token_hex(8)}"
