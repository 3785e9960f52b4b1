"""The banner's built-in texts (en, de, fr), language choice, and operators' overrides.

Below both the banner, which shows them, and properties, which validate an operator's overrides."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from consent_service import localized_texts
from consent_service.localized_texts import FALLBACK_LANGUAGE
from consent_service.patterns import LANGUAGE_CODE

TEXTS_DIR = Path(__file__).with_name("banner")
LANGUAGE = re.compile(LANGUAGE_CODE)


def builtin() -> dict[str, dict[str, Any]]:
    """language -> {"ui": {...}, "purposes": {key: {"name", "description"}}}, read once."""
    return localized_texts.load(TEXTS_DIR)


def ui_keys() -> list[str]:
    """The texts of the banner's interface an operator may override: those English has (every language has them)."""
    return list(builtin()[FALLBACK_LANGUAGE]["ui"])


def languages(overrides: Mapping[str, Any]) -> set[str]:
    return set(builtin()) | set(overrides)


def resolve(language: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Built-in texts of a language (English where it has none), with the operator's overrides."""
    base = builtin().get(language) or builtin()[FALLBACK_LANGUAGE]
    english = builtin()[FALLBACK_LANGUAGE]
    own = overrides.get(language, {})
    ui = {**english["ui"], **base["ui"], **own.get("ui", {})}
    purposes = {}
    for key in set(english["purposes"]) | set(own.get("purposes", {})):
        purposes[key] = {
            **english["purposes"].get(key, {}),
            **base["purposes"].get(key, {}),
            **own.get("purposes", {}).get(key, {}),
        }
    return {"ui": ui, "purposes": purposes}


def validate_overrides(overrides: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors for overrides that name an unknown language shape or text key."""
    known = ui_keys()
    errors: dict[str, list[str]] = {}
    for language, texts in overrides.items():
        where = f"texts.{language}"
        if not LANGUAGE.fullmatch(language):
            errors[where] = ["Languages are two-letter ISO 639-1 codes such as de."]
            continue
        if not isinstance(texts, dict) or set(texts) - {"ui", "purposes"}:
            errors[where] = ['An object with "ui" and/or "purposes".']
            continue
        for key, value in texts.get("ui", {}).items():
            if key not in known:
                errors[f"{where}.ui.{key}"] = [f"Unknown text; known: {', '.join(sorted(known))}."]
            elif not isinstance(value, str) or not 0 < len(value) <= 2000:
                errors[f"{where}.ui.{key}"] = ["1 to 2000 characters."]
        for purpose, fields in texts.get("purposes", {}).items():
            if not isinstance(fields, dict) or set(fields) - {"name", "description"}:
                errors[f"{where}.purposes.{purpose}"] = ['An object with "name" and/or "description".']
            elif not all(isinstance(v, str) and 0 < len(v) <= 2000 for v in fields.values()):
                errors[f"{where}.purposes.{purpose}"] = ["Texts of 1 to 2000 characters."]
    return errors
