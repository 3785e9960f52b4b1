"""The wire words every domain's schemas share: purpose and recipient keys, countries and regions, signals.

Kept out of consent_service.vocabulary, which the tables import and which stays free of marshmallow;
kept out of any one domain's schemas, so a domain need not import another to name a purpose.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from consent_service.patterns import FullMatch
from consent_service.vocabulary import (
    COUNTRY_PATTERN,
    PURPOSE_KEY_PATTERN,
    RECIPIENT_KEY_PATTERN,
    REGION_PATTERN,
    Signal,
)

PURPOSE_KEY = FullMatch(PURPOSE_KEY_PATTERN, error="Not a purpose key.")
COUNTRY = FullMatch(COUNTRY_PATTERN, error="An ISO 3166-1 alpha-2 code in capitals, e.g. DE.")
REGION = FullMatch(REGION_PATTERN, error="An ISO 3166-2 subdivision code in capitals, e.g. US-CA.")
RECIPIENT_KEY = FullMatch(
    RECIPIENT_KEY_PATTERN, error="2-64 characters: a-z, 0-9, _ and -, starting with a letter or digit."
)


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
        metadata={"description": description},
    )


def _each_once(names: list[Signal]) -> None:
    if len(set(names)) != len(names):
        raise ValidationError("Name each signal once.")
