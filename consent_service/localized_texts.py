"""The localized text files (one JSON file per language: en, de, fr) of the banner and the preference pages,
read once per process, and the choice of a language among them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

FALLBACK_LANGUAGE = "en"


@cache
def load(folder: Path) -> dict[str, Any]:
    """language -> the contents of `folder`/<language>.json. Every caller shares the one copy: read it, never
    change it."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def choose_language(*, requested: str | None, accepted: Iterable[str], available: set[str], default: str) -> str:
    """The requested language, else the first acceptable one of the browser, else the default (English when
    the default is not available)."""
    for candidate in ([requested] if requested else []) + list(accepted):
        primary = candidate.split("-")[0].split("_")[0].lower()
        if primary in available:
            return primary
    return default if default in available else FALLBACK_LANGUAGE
