"""Time and ids, injected so tests can fix them."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Callable

from flask import current_app

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The current time of the running app (tests replace app.config["CLOCK"])."""
    return current_app.config["CLOCK"]()


def new_id(prefix: str) -> str:
    """A random, URL-safe public identifier such as 'evt_3kq...'."""
    return f"{prefix}_{secrets.token_hex(12)}"
