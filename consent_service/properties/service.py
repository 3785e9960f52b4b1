"""Properties: create, read, update; validate origins, purposes, languages and texts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.errors import NotFound, ValidationFailed
from consent_service.frameworks import service as vendor_lists
from consent_service.patterns import LANGUAGE_CODE
from consent_service.properties.models import Property
from consent_service.purposes import service as purposes
from consent_service.texts import banner as builtin_texts
from consent_service.vocabulary import Framework

DEFAULT_PURPOSES = ["necessary", "preferences", "analytics", "advertising"]
# A banner asks only for cookie purposes: the shipped rules (methods.by_category) accept banner methods for them alone.
BANNER_CATEGORIES = ("cookie",)
MAX_ORIGINS = 50
MAX_LIFETIME_DAYS = 395  # 13 months, the longest a cookie consent is commonly held valid
LANGUAGE = re.compile(LANGUAGE_CODE)
MAX_PURPOSES = 30


class UnknownProperty(NotFound):
    message = "No property has this publishable key."


def create_property(
    *,
    session: Session,
    name: str,
    allowed_origins: list[str],
    notice_version: str,
    notice_url: str,
    now: datetime,
    default_language: str = "en",
    purposes: list[str] | None = None,
    texts: Mapping[str, Any] | None = None,
    cookie_domain: str | None = None,
    accept_lifetime_days: int = 365,
    reject_lifetime_days: int = 180,
    gpc_honoured: bool = True,
    frameworks: Sequence[str] = (),
    tcf_vendors: Sequence[int] = (),
) -> Property:
    prop = Property(
        id=new_id("prop"),
        publishable_key="pk_" + secrets.token_urlsafe(18),
        created_at=now,
    )
    _apply(
        session,
        prop,
        {
            "name": name,
            "allowed_origins": allowed_origins,
            "default_language": default_language,
            "purposes": purposes or list(DEFAULT_PURPOSES),
            "texts": dict(texts or {}),
            "notice_version": notice_version,
            "notice_url": notice_url,
            "cookie_domain": cookie_domain,
            "accept_lifetime_days": accept_lifetime_days,
            "reject_lifetime_days": reject_lifetime_days,
            "gpc_honoured": gpc_honoured,
            "frameworks": list(frameworks),
            "tcf_vendors": list(tcf_vendors),
        },
        now,
    )
    session.add(prop)
    session.flush()
    return prop


def update_property(*, session: Session, property_id: str, changes: Mapping[str, Any], now: datetime) -> Property:
    prop = get(session=session, property_id=property_id)
    _apply(session, prop, changes, now)
    session.flush()
    return prop


def get(*, session: Session, property_id: str) -> Property:
    prop = session.get(Property, property_id)
    if prop is None:
        raise NotFound("No such property.")
    return prop


def get_by_key(*, session: Session, publishable_key: str) -> Property:
    prop = session.scalars(select(Property).where(Property.publishable_key == publishable_key)).one_or_none()
    if prop is None:
        raise UnknownProperty()
    return prop


@dataclass(frozen=True)
class PropertyEntry:
    """A property as plain data, safe to keep between requests (the generations cache holds these):
    what the banner's endpoints read, without the ORM."""

    id: str
    name: str
    publishable_key: str
    allowed_origins: frozenset[str]
    default_language: str
    purposes: tuple[str, ...]
    texts: Mapping[str, Any]
    notice_version: str
    notice_url: str
    cookie_domain: str | None
    accept_lifetime_days: int
    reject_lifetime_days: int
    gpc_honoured: bool
    frameworks: tuple[str, ...]
    tcf_vendors: tuple[int, ...]


def property_entries(*, session: Session) -> dict[str, PropertyEntry]:
    """Every property by publishable key. Read as rows, not ORM objects: the JSON values are the
    entries' own, shared with no session."""
    return {row.publishable_key: entry_of(row) for row in session.execute(select(Property.__table__))}


def entry_of(prop: Property | Row[*tuple[Any, ...]]) -> PropertyEntry:
    """The plain-data form of a property (a model or a row of its table)."""
    return PropertyEntry(
        id=prop.id,
        name=prop.name,
        publishable_key=prop.publishable_key,
        allowed_origins=frozenset(prop.allowed_origins),
        default_language=prop.default_language,
        purposes=tuple(prop.purposes),
        texts=prop.texts,
        notice_version=prop.notice_version,
        notice_url=prop.notice_url,
        cookie_domain=prop.cookie_domain,
        accept_lifetime_days=prop.accept_lifetime_days,
        reject_lifetime_days=prop.reject_lifetime_days,
        gpc_honoured=prop.gpc_honoured,
        frameworks=tuple(prop.frameworks),
        tcf_vendors=tuple(prop.tcf_vendors),
    )


def newest_named(*, session: Session, name: str) -> Property | None:
    return session.scalars(
        select(Property).where(Property.name == name).order_by(Property.created_at.desc()).limit(1)
    ).first()


def list_properties(*, session: Session) -> list[Property]:
    return list(session.scalars(select(Property).order_by(Property.created_at, Property.id)))


def normalize_origin(origin: str) -> str:
    """scheme://host[:port], lower-case, no path: the form browsers send in the Origin header."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(origin)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def allowed_origins(origins: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """A property's allowed origins, normalized, deduplicated and sorted, and the errors that refuse them: the
    one rule for the API and the console. A banner with no origin could serve no page, so at least one."""
    errors: dict[str, list[str]] = {}
    if not 1 <= len(origins) <= MAX_ORIGINS:
        errors["allowed_origins"] = [f"Between 1 and {MAX_ORIGINS} origins, such as https://shop.example."]
    normalized = []
    for index, origin in enumerate(origins):
        try:
            normalized.append(normalize_origin(origin))
        except ValueError:
            errors[f"allowed_origins.{index}"] = ["An origin such as https://shop.example (no path)."]
    return sorted(set(normalized)), errors


def _frameworks(session: Session, names: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The frameworks in Framework's order (the banner config's), and the errors that refuse them: each once,
    and TCF only once a vendor list is stored (the banner could not disclose its vendors without one)."""
    if len(set(names)) != len(names):
        return [], {"frameworks": ["Name each framework once."]}
    unknown = [name for name in names if name not in set(Framework)]
    if unknown:
        return [], {"frameworks": [f"One of {', '.join(Framework)}; not {', '.join(unknown)}."]}
    if Framework.TCF in names and vendor_lists.current_version(session=session) is None:
        return [], {"frameworks": [vendor_lists.NoVendorList.message]}
    return [framework.value for framework in Framework if framework in names], {}


def _apply(session: Session, prop: Property, changes: Mapping[str, Any], now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    values = dict(changes)
    if "allowed_origins" in values:
        values["allowed_origins"], origin_errors = allowed_origins(values["allowed_origins"])
        errors.update(origin_errors)
    if "purposes" in values:
        catalogue = purposes.catalogue(session=session)
        purposes.require_known(catalogue, {f"purposes.{i}": key for i, key in enumerate(values["purposes"])})
        errors.update(
            {
                f"purposes.{i}": [
                    "A banner asks only for cookie purposes; communications, recording, transfers and "
                    "automated decisions are asked for on their own."
                ]
                for i, key in enumerate(values["purposes"])
                if catalogue[key].category not in BANNER_CATEGORIES
            }
        )
        if "necessary" not in values["purposes"]:
            values["purposes"] = ["necessary", *values["purposes"]]
        # The banner lists at most MAX_PURPOSES, necessary included (the answer's schema says so too).
        if len(values["purposes"]) > MAX_PURPOSES:
            errors["purposes"] = [f"At most {MAX_PURPOSES} purposes, necessary included."]
    if "texts" in values:
        errors.update(builtin_texts.validate_overrides(values["texts"]))
    if "default_language" in values and not LANGUAGE.fullmatch(values["default_language"]):
        errors["default_language"] = ["A two-letter ISO 639-1 code such as en."]
    if "frameworks" in values:
        values["frameworks"], framework_errors = _frameworks(session, values["frameworks"])
        errors.update(framework_errors)
    if "tcf_vendors" in values:
        values["tcf_vendors"] = sorted(set(values["tcf_vendors"]))
        errors.update(
            vendor_lists.vendor_problems(session=session, vendor_ids=values["tcf_vendors"], field="tcf_vendors")
        )
    for field in ("accept_lifetime_days", "reject_lifetime_days"):
        if field in values and not 1 <= values[field] <= MAX_LIFETIME_DAYS:
            errors[field] = [f"Between 1 and {MAX_LIFETIME_DAYS} days."]
    if errors:
        raise ValidationFailed(errors=errors)
    for field, value in values.items():
        setattr(prop, field, value)
    prop.updated_at = now
