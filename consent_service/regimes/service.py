"""Which regime applies to a country, read from a rules file (data, not code)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from consent_service.config import ConfigError
from consent_service.vocabulary import Regime

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.json")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class RegimeRules:
    version: str
    default_regime: Regime
    by_country: dict[str, Regime]

    def regime_for(self, country: str | None) -> Regime:
        """The regime of a country code; the configured default when unknown or not given."""
        if country is None:
            return self.default_regime
        return self.by_country.get(country.upper(), self.default_regime)


def load_rules(path: str | Path | None = None) -> RegimeRules:
    """Read and validate a rules file; a bad entry stops the service with its name."""
    path = Path(path or DEFAULT_RULES_PATH)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"regime rules {path}: cannot be read as JSON ({exc})") from None
    return parse_rules(data, source=str(path))


def parse_rules(data: object, *, source: str = "rules") -> RegimeRules:
    def fail(where: str, problem: str) -> ConfigError:
        return ConfigError(f"regime rules {source}: {where}: {problem}")

    if not isinstance(data, dict):
        raise fail("top level", "must be an object")
    regimes = data.get("regimes")
    if not isinstance(regimes, dict) or not regimes:
        raise fail("regimes", "must be a non-empty object")
    known = {regime.value for regime in Regime}
    by_country: dict[str, Regime] = {}
    for name, regime in regimes.items():
        if name not in known:
            raise fail(f"regimes.{name}", f"unknown regime (known: {', '.join(sorted(known))})")
        countries = regime.get("countries") if isinstance(regime, dict) else None
        if not isinstance(countries, list):
            raise fail(f"regimes.{name}.countries", "must be a list of country codes")
        for index, country in enumerate(countries):
            if not isinstance(country, str) or not COUNTRY_CODE.match(country):
                raise fail(f"regimes.{name}.countries[{index}]", f"{country!r} is not an ISO 3166 alpha-2 code")
            if country in by_country:
                raise fail(f"regimes.{name}.countries[{index}]", f"{country} is already in {by_country[country]}")
            by_country[country] = Regime(name)
    default = data.get("default_regime")
    if default not in known:
        raise fail("default_regime", f"{default!r} is not a known regime")
    return RegimeRules(version=str(data.get("version", "")), default_regime=Regime(default), by_country=by_country)
