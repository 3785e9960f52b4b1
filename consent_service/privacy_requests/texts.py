"""The privacy request pages' and mails' texts (en, de, fr), the language they are shown in, and dates in it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from consent_service import localized_texts
from consent_service.localized_texts import FALLBACK_LANGUAGE

TEXTS_DIR = Path(__file__).with_name("texts")
# Each language by its own name, for the links that switch between them.
LANGUAGE_NAMES = (("en", "English"), ("de", "Deutsch"), ("fr", "Français"))


def builtin() -> dict[str, dict[str, str]]:
    """language -> text key -> text, read once."""
    return localized_texts.load(TEXTS_DIR)


def languages() -> frozenset[str]:
    return frozenset(builtin())


def choose_language(*, requested: str | None, accepted: Iterable[str], default: str = FALLBACK_LANGUAGE) -> str:
    """The asked-for language (?lang=, a link's), else the browser's first one we have, else `default` (the
    property's language), else English."""
    return localized_texts.choose_language(
        requested=requested, accepted=accepted, available=set(builtin()), default=default
    )


def ui(language: str) -> dict[str, str]:
    return builtin().get(language) or builtin()[FALLBACK_LANGUAGE]


def date(language: str, moment: datetime) -> str:
    """A day as people of `language` write it (15. Januar 2026), in UTC, as every time the service shows."""
    t, day = ui(language), moment.astimezone(UTC)
    return t["date_format"].format(day=day.day, month=t[f"month_{day.month}"], year=day.year)


def date_time(language: str, moment: datetime) -> str:
    t, at = ui(language), moment.astimezone(UTC)
    return t["time_format"].format(date=date(language, at), time=at.strftime("%H:%M"))
