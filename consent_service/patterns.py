"""Text patterns match whole values: `fullmatch`, never `match` with a `$`, which also accepts the
value followed by a newline ("DE\n")."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, validate


class FullMatch(validate.Regexp):
    """marshmallow's Regexp matched against the whole value. Takes the pattern without anchors;
    `regex` carries them (^(?:...)$) so the OpenAPI document's `pattern` says the same."""

    def __init__(self, pattern: str, *, error: str | None = None) -> None:
        super().__init__(re.compile(f"^(?:{pattern})$"), error=error)
        self._whole = re.compile(pattern)

    def __call__(self, value: Any) -> str:  # type: ignore[override]  # unlike Regexp, refuses bytes
        if not isinstance(value, str) or self._whole.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value

    def matches(self, value: object) -> bool:
        """Whether `value` is a string this validator accepts, without raising."""
        return type(value) is str and self._whole.fullmatch(value) is not None
