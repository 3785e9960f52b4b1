"""The purpose catalogue: list, look up and add purposes."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.errors import Conflict, ValidationFailed
from consent_service.purposes.models import Purpose
from consent_service.vocabulary import Decision, Regime


class UnknownPurpose(ValidationFailed):
    code = "unknown_purpose"


def list_purposes(*, session: Session) -> list[Purpose]:
    return list(session.scalars(select(Purpose).order_by(Purpose.built_in.desc(), Purpose.key)))


def catalogue(*, session: Session) -> dict[str, Purpose]:
    """Every purpose by key, in catalogue order."""
    return {purpose.key: purpose for purpose in list_purposes(session=session)}


@dataclass(frozen=True)
class CataloguePurpose:
    """A purpose as plain data, safe to keep between requests (the generations cache holds these)."""

    key: str
    name: str
    description: str
    category: str
    legal_basis: str
    refusable: bool
    built_in: bool
    defaults: dict[str, str]


def catalogue_entries(*, session: Session) -> dict[str, CataloguePurpose]:
    """The catalogue as plain data, in catalogue order."""
    return {
        p.key: CataloguePurpose(
            key=p.key,
            name=p.name,
            description=p.description,
            category=p.category,
            legal_basis=p.legal_basis,
            refusable=p.refusable,
            built_in=p.built_in,
            defaults=dict(p.defaults),
        )
        for p in list_purposes(session=session)
    }


def require_known(purposes: Container[str], given: dict[str, str]) -> None:
    """Raise one 422 naming every unknown purpose; `given` maps each field path to a key."""
    errors = {field: [f"Unknown purpose {key!r}."] for field, key in given.items() if key not in purposes}
    if errors:
        raise UnknownPurpose("Unknown purpose.", errors=errors)


def create_purpose(
    *,
    session: Session,
    key: str,
    name: str,
    description: str,
    category: str,
    legal_basis: str,
    refusable: bool,
    defaults: dict[str, str],
    now: datetime,
) -> Purpose:
    if session.get(Purpose, key) is not None:
        raise Conflict(f"Purpose {key!r} already exists.", errors={"key": ["Already exists."]})
    if not refusable and any(value != Decision.GRANTED for value in defaults.values()):
        raise ValidationFailed(
            "A purpose that cannot be refused is granted in every regime.",
            errors={"defaults": ["Must be granted in every regime when refusable is false."]},
        )
    fallback = Decision.DENIED if refusable else Decision.GRANTED
    full_defaults = {regime.value: defaults.get(regime.value, fallback.value) for regime in Regime}
    purpose = Purpose(
        key=key,
        name=name,
        description=description,
        category=category,
        legal_basis=legal_basis,
        refusable=refusable,
        built_in=False,
        defaults=full_defaults,
        created_at=now,
    )
    session.add(purpose)
    session.flush()
    return purpose
