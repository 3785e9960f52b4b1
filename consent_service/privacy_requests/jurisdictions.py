"""The places a person can say they live in, named in their language: every country, and for a country whose
regions have laws of their own (the United States, Canada) its regions instead of the country as a whole.

Names come from pycountry's copy of Debian's iso-codes and its gettext catalogues (domains iso3166-1 and
iso3166-2), so a place is spelled as the ISO standard's translators spell it."""

from __future__ import annotations

import functools
import gettext
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pycountry


@dataclass(frozen=True)
class Place:
    value: str  # what the form sends: a country code (DE) or a region code (US-CA)
    name: str


@dataclass(frozen=True)
class PlaceGroup:
    """A country split into its regions: a person picks the region."""

    name: str
    places: tuple[Place, ...]


class Places:
    """The places of one set of rules: countries, and the regions of `split` countries in their stead."""

    def __init__(self, split: Iterable[str]) -> None:
        self.split = frozenset(split)
        self._values = frozenset(
            {country.alpha_2 for country in pycountry.countries if country.alpha_2 not in self.split}
            | {region.code for code in self.split for region in _top_regions(code)}
        )

    def choices(self, language: str) -> tuple[Place | PlaceGroup, ...]:
        """Every place, alphabetically in `language`; a split country is a group of its regions."""
        return _choices(language, self.split)

    def parse(self, value: str) -> tuple[str, str | None] | None:
        """(country, region) of a form's value, or None if it is not one of the places."""
        if value not in self._values:
            return None
        return (value[:2], value) if "-" in value else (value, None)

    def preselected(self, country: str | None, region: str | None) -> str | None:
        """The form's value for where the CDN places the request, when it names one of the places."""
        value = region if country in self.split else country
        return value if value in self._values else None


@functools.cache
def places_for(split: frozenset[str]) -> Places:
    """The places of a set of rules, built once per process (the rules are loaded once too)."""
    return Places(split)


def _top_regions(country: str) -> list[pycountry.db.Data]:
    """A country's states, provinces and territories; not the US outlying areas, which are countries of their own
    in ISO 3166-1 (and on this list)."""
    return [
        region
        for region in pycountry.subdivisions.get(country_code=country) or []
        if region.parent_code is None and region.type != "Outlying area"
    ]


@functools.cache
def _choices(language: str, split: frozenset[str]) -> tuple[Place | PlaceGroup, ...]:
    countries, regions = _catalogue(language, "iso3166-1"), _catalogue(language, "iso3166-2")
    entries: list[Place | PlaceGroup] = []
    for country in pycountry.countries:
        name = countries.gettext(getattr(country, "common_name", country.name))
        if country.alpha_2 in split:
            places = [Place(region.code, regions.gettext(region.name)) for region in _top_regions(country.alpha_2)]
            entries.append(PlaceGroup(name, tuple(sorted(places, key=lambda place: _collation(place.name)))))
        else:
            entries.append(Place(country.alpha_2, name))
    return tuple(sorted(entries, key=lambda entry: _collation(entry.name)))


@functools.cache
def _catalogue(language: str, domain: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _collation(name: str) -> str:
    """Good enough alphabetical order for en, de and fr: accents and case ignored (Österreich under O)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
