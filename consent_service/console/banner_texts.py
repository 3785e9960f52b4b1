"""The banner-text form of a property: fields per language, the overrides they save, and drafts to preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from consent_service.properties.models import Property
from consent_service.properties.service import PropertyEntry, entry_of
from consent_service.texts import banner as builtin_texts

MAX_TEXT_LENGTH = 2000
UI_LABELS = {
    "title": "Title",
    "description": "Description",
    "accept_all": "Accept all button",
    "reject_all": "Reject all button",
    "settings": "Settings button",
    "save": "Save button",
    "close": "Close button",
    "always_on": "Always on badge",
    "notice_link": "Notice link",
    "placeholder": "Blocked content placeholder",
    "load_content": "Load content button",
    "gpc_honored": "Global Privacy Control status (CCPA: Opt-out request honored)",
    "gpc_active": "Global Privacy Control note",
    "cookies": "Declared cookies of a purpose (settings view)",
}
MULTILINE = {"description", "gpc_active", "placeholder"}


@dataclass(frozen=True)
class TextField:
    name: str  # "ui.title" or "purposes.analytics.description": the form field and the override's path
    label: str
    value: str  # what the visitor sees now in this language
    default: str  # the built-in text, used when the field is left as it is
    multiline: bool


def fields_for(prop: Property, language: str, overrides: Mapping[str, Any] | None = None) -> list[TextField]:
    """Every text of the banner in `language`, as shown with `overrides` (the property's own by default)."""
    shown = builtin_texts.resolve(language, prop.texts if overrides is None else overrides)
    default = builtin_texts.resolve(language, {})
    fields = [
        TextField(f"ui.{key}", label, shown["ui"].get(key, ""), default["ui"].get(key, ""), key in MULTILINE)
        for key, label in UI_LABELS.items()
    ]
    for purpose in prop.purposes:
        for part in ("name", "description"):
            fields.append(
                TextField(
                    f"purposes.{purpose}.{part}",
                    f"{purpose}: {part}",
                    shown["purposes"].get(purpose, {}).get(part, ""),
                    default["purposes"].get(purpose, {}).get(part, ""),
                    part == "description",
                )
            )
    return fields


def overrides_from_form(prop: Property, language: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The property's texts with `language` replaced by what the form says: only texts differing from the built-in
    ones are kept, so later improvements of the built-in texts still reach fields nobody changed."""
    own: dict[str, Any] = {}
    for field in fields_for(prop, language):
        value = form.get(field.name, field.value).strip()
        if not value or value == field.default:  # an emptied field goes back to the built-in text
            continue
        parts = field.name.split(".")
        if parts[0] == "ui":
            own.setdefault("ui", {})[parts[1]] = value
        else:
            own.setdefault("purposes", {}).setdefault(parts[1], {})[parts[2]] = value
    texts = {lang: value for lang, value in prop.texts.items() if lang != language}
    if own or language not in builtin_texts.builtin():
        texts[language] = own  # a language of the operator's own stays offered even when it matches English
    return texts


def draft(prop: Property, texts: Mapping[str, Any]) -> PropertyEntry:
    """The property as plain data with other texts, apart from any session: previews write nothing."""
    return replace(entry_of(prop), texts=dict(texts))
