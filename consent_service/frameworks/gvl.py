"""The Global Vendor List's format (GVL v3, TCF v2.3): what a valid list and translation are, and the part of a
list one banner shows.

Checked here, before anything is stored: a list the banner cannot disclose truthfully (a vendor naming a purpose
the list does not define, a purpose without its texts) must never replace the current one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from consent_service.errors import ValidationFailed

SPECIFICATION_VERSION = 3
# TCF v2.3 is policy version 5: a list made for an older policy would disclose what v2.3 no longer allows.
MIN_POLICY_VERSION = 5
PURPOSE_IDS = frozenset(range(1, 12))  # the eleven purposes of TCF v2.2 and v2.3
# The sections whose texts a translation carries (the IAB's purposes-<language>.json); English is the list itself.
DECLARED_SECTIONS = ("purposes", "specialPurposes", "features", "specialFeatures")
OPTIONAL_SECTIONS = ("stacks", "dataCategories")
TRANSLATED_SECTIONS = DECLARED_SECTIONS + OPTIONAL_SECTIONS
TRANSLATED_FIELDS = ("name", "description", "illustrations")
# Which section's ids each vendor field names.
VENDOR_ID_LISTS = {
    "purposes": "purposes",
    "legIntPurposes": "purposes",
    "flexiblePurposes": "purposes",
    "specialPurposes": "specialPurposes",
    "features": "features",
    "specialFeatures": "specialFeatures",
}
HEADER_FIELDS = ("gvlSpecificationVersion", "vendorListVersion", "tcfPolicyVersion", "lastUpdated")
MAX_PROBLEMS_SHOWN = 20


class InvalidVendorList(ValidationFailed):
    code = "invalid_vendor_list"
    message = "Not a valid Global Vendor List v3."


@dataclass(frozen=True)
class VendorList:
    """A checked GVL v3: its header fields read, its content as published."""

    vendor_list_version: int
    tcf_policy_version: int
    gvl_specification_version: int
    last_updated: datetime
    content: dict[str, Any]


def parse_vendor_list(document: object) -> VendorList:
    """`document` (parsed JSON) as a VendorList; InvalidVendorList names every problem found (the first few)."""
    problems = list(_vendor_list_problems(document))
    last_updated = _timestamp(document.get("lastUpdated")) if isinstance(document, dict) else None
    if problems or not isinstance(document, dict) or last_updated is None:
        raise _invalid("This is not a valid Global Vendor List v3.", problems or [("", "a JSON object")])
    return VendorList(
        vendor_list_version=document["vendorListVersion"],
        tcf_policy_version=document["tcfPolicyVersion"],
        gvl_specification_version=document["gvlSpecificationVersion"],
        last_updated=last_updated,
        content=document,
    )


def parse_translation(document: object, *, vendor_list: VendorList, language: str) -> dict[str, Any]:
    """The texts of a translation (purposes-<language>.json) of `vendor_list`: every purpose, special purpose,
    feature and special feature of the list translated, so a banner never mixes languages in one layer."""
    problems: list[tuple[str, str]] = []
    if not isinstance(document, dict):
        raise _invalid(f"The {language} translation is not a JSON object.", [("", "a JSON object")])
    texts: dict[str, Any] = {}
    for section in TRANSLATED_SECTIONS:
        items = document.get(section)
        listed = vendor_list.content.get(section) or {}
        if items is None and section in OPTIONAL_SECTIONS:
            continue
        if not isinstance(items, dict):
            problems.append((section, "an object of texts by id"))
            continue
        problems.extend(_text_problems(section, items))
        missing = sorted(set(listed) - set(items), key=_id_order)
        if section in DECLARED_SECTIONS and missing:
            problems.append((section, f"no text for ids {', '.join(missing)} of the vendor list"))
        extra = sorted(set(items) - set(listed), key=_id_order)
        if extra:
            version = vendor_list.vendor_list_version
            problems.append((section, f"ids {', '.join(extra)} are not in vendor list {version}"))
        texts[section] = {
            key: {name: value[name] for name in TRANSLATED_FIELDS if name in value}
            for key, value in items.items()
            if isinstance(value, dict)
        }
    if problems:
        raise _invalid(f"The {language} translation does not fit this vendor list.", problems)
    return texts


def trimmed(
    content: Mapping[str, Any], *, vendor_ids: Collection[int], translation: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What one banner shows of a list: every purpose, feature, stack and data category (in the translation's
    texts where it has them), and only the vendors named that are not deleted, keyed by id as in the GVL."""
    shown: dict[str, Any] = {name: content[name] for name in HEADER_FIELDS}
    for section in TRANSLATED_SECTIONS:
        texts = (translation or {}).get(section, {})
        shown[section] = {key: {**item, **texts.get(key, {})} for key, item in (content.get(section) or {}).items()}
    wanted = {str(vendor_id) for vendor_id in vendor_ids}
    shown["vendors"] = {
        key: vendor for key, vendor in content["vendors"].items() if key in wanted and not is_deleted(vendor)
    }
    return shown


def is_deleted(vendor: Mapping[str, Any]) -> bool:
    """A vendor with a deletedDate is not offered, even one dated ahead: the specification says it must no longer
    be established with users, and a banner config that changed by the clock would change its version unseen."""
    return vendor.get("deletedDate") is not None


def offered_vendors(content: Mapping[str, Any]) -> dict[int, str]:
    """The vendors of a list a property may work with (not deleted), id -> name, by id."""
    return {
        int(key): vendor["name"]
        for key, vendor in sorted(content["vendors"].items(), key=lambda item: int(item[0]))
        if not is_deleted(vendor)
    }


def _vendor_list_problems(document: object) -> Iterator[tuple[str, str]]:
    if not isinstance(document, dict):
        return
    if document.get("gvlSpecificationVersion") != SPECIFICATION_VERSION:
        yield "gvlSpecificationVersion", f"must be {SPECIFICATION_VERSION} (GVL v3)"
    version = document.get("vendorListVersion")
    if not _is_int(version) or version < 1:
        yield "vendorListVersion", "a positive integer"
    policy = document.get("tcfPolicyVersion")
    if not _is_int(policy) or policy < MIN_POLICY_VERSION:
        yield "tcfPolicyVersion", f"an integer of at least {MIN_POLICY_VERSION} (TCF v2.3)"
    if _timestamp(document.get("lastUpdated")) is None:
        yield "lastUpdated", "an ISO 8601 time with its offset, such as 2026-11-27T16:00:00Z"
    for section in DECLARED_SECTIONS + OPTIONAL_SECTIONS:
        items = document.get(section)
        if items is None and section in OPTIONAL_SECTIONS:
            continue
        if not isinstance(items, dict):
            yield section, "an object of entries by id"
            continue
        yield from _text_problems(section, items)
    purposes = document.get("purposes")
    if isinstance(purposes, dict) and set(purposes) != {str(i) for i in PURPOSE_IDS}:
        yield "purposes", f"exactly the purposes {min(PURPOSE_IDS)} to {max(PURPOSE_IDS)}"
    vendors = document.get("vendors")
    if not isinstance(vendors, dict):
        yield "vendors", "an object of vendors by id"
        return
    declared = {
        section: {int(key) for key in document.get(section) or {} if key.isdigit()} for section in DECLARED_SECTIONS
    }
    for key, vendor in vendors.items():
        yield from _vendor_problems(f"vendors.{key}", key, vendor, declared)


def _vendor_problems(
    path: str, key: str, vendor: object, declared: Mapping[str, set[int]]
) -> Iterator[tuple[str, str]]:
    if not isinstance(vendor, dict):
        yield path, "an object"
        return
    if not _is_int(vendor.get("id")) or str(vendor["id"]) != key:
        yield f"{path}.id", "the integer the vendor is keyed by"
    if not isinstance(vendor.get("name"), str) or not vendor["name"].strip():
        yield f"{path}.name", "a name"
    for field, section in VENDOR_ID_LISTS.items():
        ids = vendor.get(field)
        if not isinstance(ids, list) or not all(_is_int(i) for i in ids):
            yield f"{path}.{field}", "a list of ids"
            continue
        unknown = sorted(set(ids) - declared[section])
        if unknown:
            yield f"{path}.{field}", f"names {section} {', '.join(map(str, unknown))}, which the list does not define"
    flexible, by_consent, by_interest = (vendor.get(f) for f in ("flexiblePurposes", "purposes", "legIntPurposes"))
    if (
        isinstance(flexible, list)
        and isinstance(by_consent, list)
        and isinstance(by_interest, list)
        and not set(flexible) <= set(by_consent) | set(by_interest)
    ):
        yield f"{path}.flexiblePurposes", "only purposes the vendor declares (purposes or legIntPurposes)"
    urls, policy_url = vendor.get("urls"), vendor.get("policyUrl")
    if urls is None and policy_url is None:
        yield f"{path}.urls", "the vendor's privacy policy URLs (urls, or policyUrl)"
    if urls is not None and (
        not isinstance(urls, list)
        or not all(isinstance(u, dict) and isinstance(u.get("langId"), str) and _is_url(u.get("privacy")) for u in urls)
    ):
        yield f"{path}.urls", "a list of {langId, privacy, legIntClaim} with http(s) URLs"
    if policy_url is not None and not _is_url(policy_url):
        yield f"{path}.policyUrl", "an http(s) URL"
    if vendor.get("deletedDate") is not None and _timestamp(vendor["deletedDate"]) is None:
        yield f"{path}.deletedDate", "an ISO 8601 time with its offset"


def _text_problems(section: str, items: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for key, item in items.items():
        path = f"{section}.{key}"
        if not key.isdigit() or not isinstance(item, dict) or item.get("id") != int(key):
            yield path, "an entry whose id is the integer it is keyed by"
            continue
        for field in ("name", "description"):
            if not isinstance(item.get(field), str) or not item[field].strip():
                yield f"{path}.{field}", "a text"
        illustrations = item.get("illustrations")
        if illustrations is not None and not (
            isinstance(illustrations, list) and all(isinstance(i, str) for i in illustrations)
        ):
            yield f"{path}.illustrations", "a list of texts"


def _invalid(message: str, problems: list[tuple[str, str]]) -> InvalidVendorList:
    errors: dict[str, list[str]] = {}
    for path, problem in problems[:MAX_PROBLEMS_SHOWN]:
        errors.setdefault(path or "_schema", []).append(problem)
    more = len(problems) - MAX_PROBLEMS_SHOWN
    if more > 0:
        errors.setdefault("_schema", []).append(f"and {more} more problems")
    return InvalidVendorList(message, errors=errors)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _id_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 30, key)
