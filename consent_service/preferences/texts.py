"""The preference pages' texts (en, de, fr), the page language, and localized purpose names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from consent_service import localized_texts
from consent_service.localized_texts import FALLBACK_LANGUAGE
from consent_service.purposes.models import Purpose
from consent_service.texts import banner as banner_texts

TEXTS_DIR = Path(__file__).with_name("texts")


def builtin() -> dict[str, dict[str, str]]:
    """language -> text key -> text, read once."""
    return localized_texts.load(TEXTS_DIR)


def choose_language(*, requested: str | None, accepted: Iterable[str]) -> str:
    """The link's language, else the browser's first one we have, else English."""
    return localized_texts.choose_language(
        requested=requested, accepted=accepted, available=set(builtin()), default=FALLBACK_LANGUAGE
    )


def ui(language: str) -> dict[str, str]:
    return {**builtin()[FALLBACK_LANGUAGE], **builtin().get(language, {})}


def purpose_texts(language: str, purpose: Purpose) -> dict[str, str]:
    """The banner's translation of a built-in purpose; an operator's purpose as the catalogue names it."""
    translated = banner_texts.resolve(language, {})["purposes"].get(purpose.key, {})
    return {"name": purpose.name, "description": purpose.description, **translated}
