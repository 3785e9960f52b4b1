"""The public request form as sent: read, normalized and checked field by field, or the errors to show.

Nothing here looks anything up: whether the identifier belongs to anyone is never asked before the request is
verified, so the form's answer cannot depend on it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from consent_service.privacy_requests.jurisdictions import Places
from consent_service.privacy_requests.models import MAX_AGENT_NAME, MAX_CORRECTION, MAX_IDENTIFIER
from consent_service.subjects.identifiers import canonical
from consent_service.vocabulary import ObjectionTarget, RequestType, Verification

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, less its angle brackets
# The order the fields appear in, which is the order their errors are listed in.
FIELDS = (
    "type",
    "objection",
    "correction",
    "identifier",
    "jurisdiction",
    "on_behalf",
    "agent_name",
    "agent_email",
    "agent_declaration",
)
_NOT_IN_ADDRESS = r"\s@<>()\[\],;:'\"\\"
EMAIL = re.compile(rf"[^{_NOT_IN_ADDRESS}]{{1,64}}@(?:[^{_NOT_IN_ADDRESS}.]+\.)+[^{_NOT_IN_ADDRESS}.]{{2,}}")


@dataclass(frozen=True)
class Filed:
    """A request as the form asks for it, ready for file_privacy_request."""

    type: RequestType
    identifier: str
    contact: str | None
    country: str
    region: str | None
    details: dict[str, Any]
    agent: dict[str, Any] | None


@dataclass
class FormReading:
    values: dict[str, str]  # what to show again in the fields
    errors: dict[str, str] = field(default_factory=dict)  # field -> the text key of its error
    filed: Filed | None = None


def read(form: Mapping[str, str], *, verification: Verification, places: Places) -> FormReading:
    """The request the form asks for, or (with `filed` None) the error of each field that is wrong."""
    values = {name: form.get(name, "") for name in FIELDS}
    reading = FormReading(values=values)
    errors = reading.errors
    kind = _request_type(values["type"])
    if kind is None:
        errors["type"] = "error_type_required"
    details: dict[str, Any] = {}
    if kind is RequestType.OBJECTION:
        if values["objection"] in set(ObjectionTarget):
            details["objection"] = values["objection"]
        else:
            errors["objection"] = "error_objection_required"
    if kind is RequestType.CORRECTION:
        correction = values["correction"].strip()
        if not correction:
            errors["correction"] = "error_correction_required"
        elif len(correction) > MAX_CORRECTION:
            errors["correction"] = "error_correction_too_long"
        details["correction"] = correction
    identifier = _identifier(values["identifier"], verification, errors)
    place = places.parse(values["jurisdiction"])
    if place is None:
        errors["jurisdiction"] = "error_jurisdiction_required"
    agent = _agent(values, errors)
    if errors or kind is None or identifier is None or place is None:
        return reading
    contact = identifier if verification is Verification.EMAIL else None
    reading.filed = Filed(kind, identifier, contact, place[0], place[1], details, agent)
    return reading


def normalized_email(value: str) -> str | None:
    """An email address in the one spelling every subject id has (stripped; the domain lower-cased, the local part
    kept as typed, as the API stores customer ids), or None if it is not one."""
    address = canonical(value.strip())
    if len(address) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(address) or _has_controls(address):
        return None
    return address


def _request_type(value: str) -> RequestType | None:
    try:
        return RequestType(value)
    except ValueError:
        return None


def _identifier(value: str, verification: Verification, errors: dict[str, str]) -> str | None:
    mode = "email" if verification is Verification.EMAIL else "webhook"
    given = value.strip()
    if not given:
        errors["identifier"] = f"error_identifier_required_{mode}"
        return None
    if verification is Verification.EMAIL:
        address = normalized_email(given)
        if address is None:
            errors["identifier"] = "error_identifier_invalid_email"
        return address
    identifier = canonical(given)
    if len(identifier) > MAX_IDENTIFIER:
        errors["identifier"] = "error_identifier_too_long"
        return None
    if _has_controls(identifier):
        errors["identifier"] = "error_identifier_invalid"
        return None
    return identifier


def _agent(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    """An authorized agent: their name and email and the declaration, all required once the box says so."""
    name, email = values["agent_name"].strip(), values["agent_email"].strip()
    if not values["on_behalf"]:
        if name or email:
            errors["on_behalf"] = "error_agent_on_behalf"
        return None
    if not name:
        errors["agent_name"] = "error_agent_name_required"
    elif len(name) > MAX_AGENT_NAME:
        errors["agent_name"] = "error_agent_name_too_long"
    elif _has_controls(name):
        errors["agent_name"] = "error_identifier_invalid"
    address = normalized_email(email)
    if address is None:
        errors["agent_email"] = "error_agent_email_invalid"
    if not values["agent_declaration"]:
        errors["agent_declaration"] = "error_agent_declaration_required"
    return {"name": name, "email": address, "declaration": True}


def _has_controls(value: str) -> bool:
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in value)
