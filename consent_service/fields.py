"""The wire words every domain's schemas share: purpose and recipient keys, countries and regions, signals.

Kept out of consent_service.vocabulary, which the tables import and which stays free of marshmallow;
kept out of any one domain's schemas, so a domain need not import another to name a purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from consent_service.patterns import LANGUAGE_CODE
from consent_service.vocabulary import (
    COUNTRY_PATTERN,
    ORIGIN_PATTERN,
    PAGE_URL_PATTERN,
    PURPOSE_KEY_PATTERN,
    RECIPIENT_KEY_PATTERN,
    REGION_PATTERN,
    WEBHOOK_URL_PATTERN,
    Signal,
)


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


PURPOSE_KEY = FullMatch(PURPOSE_KEY_PATTERN, error="Not a purpose key.")
LANGUAGE = FullMatch(LANGUAGE_CODE, error="A two-letter ISO 639-1 code in lower case, e.g. de.")
COUNTRY = FullMatch(COUNTRY_PATTERN, error="An ISO 3166-1 alpha-2 code in capitals, e.g. DE.")
REGION = FullMatch(REGION_PATTERN, error="An ISO 3166-2 subdivision code in capitals, e.g. US-CA.")
RECIPIENT_KEY = FullMatch(
    RECIPIENT_KEY_PATTERN, error="2-64 characters: a-z, 0-9, _ and -, starting with a letter or digit."
)

PAGE_URL = FullMatch(PAGE_URL_PATTERN, error="An http or https URL with a host, e.g. https://shop.example/privacy.")
# The shape only: properties.service.normalize_origin, the one rule for the API and the console, still decides.
ORIGIN = FullMatch(ORIGIN_PATTERN, error="An origin such as https://shop.example (no path).")
WEBHOOK_URL = FullMatch(
    WEBHOOK_URL_PATTERN, error="An http or https URL with a host, without credentials or a fragment."
)


class _Later(Sequence[str]):
    """A sequence read from `load` each time it is used (load caches): nothing is read before the first use."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load

    def __getitem__(self, index: Any) -> Any:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())


class OneOfLater(validate.OneOf):
    """OneOf over choices read when first asked for (from a data file), not when the schema module is imported; the
    OpenAPI document lists them as it lists any OneOf's."""

    def __init__(self, choices: Callable[[], Sequence[str]], *, error: str) -> None:
        self.choices = _Later(choices)
        self.labels: list[str] = []
        self.labels_text = ""
        self.error = error

    def _format_error(self, value: Any) -> str:
        return self.error.format(input=value, choices=", ".join(self.choices), labels="")


def page_url_field(**kwargs: Any) -> fields.String:
    """A page people read (a privacy notice): at most 500 characters."""
    return fields.String(validate=[validate.Length(max=500), PAGE_URL], **kwargs)


class JsonBoolean(fields.Boolean):
    """A JSON true or false, nothing else: marshmallow's Boolean also takes 1, 0, "yes", "off" and more, which
    the document (type: boolean) does not allow and no client of a JSON API means."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if type(value) is not bool:
            raise self.make_error("invalid", input=value)
        return value


class JsonInteger(fields.Integer):
    """A JSON integer as the document's `type: integer` means it in OpenAPI 3.1 (JSON Schema 2020-12): a number with
    no fractional part, 2.0 included; never a string or a boolean, and 2.5 is refused rather than cut to 2."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is float and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Changes(Schema):
    """A PATCH body: every field of the resource's schema optional, at least one sent (a PATCH that names nothing
    is a mistake, not a no-op; the document says minProperties: 1, see openapi_fields.changes_name_a_field)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)

    @validates_schema
    def _names_a_field(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Name at least one field to change.")


def country_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=COUNTRY, **kwargs)


def region_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=REGION,
        metadata={
            "description": "ISO 3166-2 subdivision (US-CA, CA-QC): its rules decide where the rules file has some. "
            "Alone, it gives the country; with a country, it must be in it (422 region_contradicts_country)."
        },
        **kwargs,
    )


def signals_field(description: str) -> fields.List:
    """The IAB strings an answer also carries (vocabulary.Signal), each named once."""
    return fields.List(
        fields.Enum(Signal, by_value=True),
        validate=[validate.Length(1, len(Signal)), _each_once],
        metadata={"description": description, "uniqueItems": True},
    )


def _each_once(names: list[Signal]) -> None:
    if len(set(names)) != len(names):
        raise ValidationError("Name each signal once.")
