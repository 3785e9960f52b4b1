"""The Global Vendor Lists kept: store a newer one, read the current one, check the vendors a property names."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.errors import Conflict, ValidationFailed
from consent_service.frameworks import gvl
from consent_service.frameworks.gvl import VendorList
from consent_service.frameworks.models import TCFVendorList

# The languages whose translations a list may carry beside its English (the banner's own languages).
TRANSLATION_LANGUAGES = ("de", "fr")


class VendorListNotNewer(Conflict):
    code = "vendor_list_not_newer"


class NoVendorList(ValidationFailed):
    message = "No Global Vendor List is stored yet: run `flask tcf gvl update --from URL_OR_FILE` first."


@dataclass(frozen=True)
class VendorListEntry:
    """The current list as plain data (the generations snapshot holds it): its vendors only those some property
    works with, and its translations."""

    vendor_list_version: int
    content: Mapping[str, Any]
    translations: Mapping[str, Mapping[str, Any]]

    def shown(self, *, vendor_ids: Collection[int], language: str) -> tuple[str, dict[str, Any]]:
        """The language a banner in `language` shows the list in (English unless a translation is stored) and
        the list as shown: `vendor_ids` only."""
        shown_language = language if language in self.translations else "en"
        translation = self.translations.get(shown_language)
        return shown_language, gvl.trimmed(self.content, vendor_ids=vendor_ids, translation=translation)


def store_vendor_list(
    *, session: Session, vendor_list: VendorList, translations: Mapping[str, Mapping[str, Any]], now: datetime
) -> TCFVendorList:
    """Keep `vendor_list` as the current one; refused, nothing stored, unless it is newer than the current one."""
    unknown = sorted(set(translations) - set(TRANSLATION_LANGUAGES))
    if unknown:
        raise ValidationFailed(
            errors={"translations": [f"Languages {', '.join(TRANSLATION_LANGUAGES)} only, not {', '.join(unknown)}."]}
        )
    current = current_version(session=session)
    if current is not None and vendor_list.vendor_list_version <= current:
        raise VendorListNotNewer(
            f"Vendor list {vendor_list.vendor_list_version} is not newer than the current one, "
            f"{current}; the current one is kept."
        )
    row = TCFVendorList(
        vendor_list_version=vendor_list.vendor_list_version,
        tcf_policy_version=vendor_list.tcf_policy_version,
        gvl_specification_version=vendor_list.gvl_specification_version,
        last_updated=vendor_list.last_updated,
        content=vendor_list.content,
        translations={language: dict(texts) for language, texts in translations.items()},
        stored_at=now,
    )
    session.add(row)
    session.flush()
    return row


def current_version(*, session: Session) -> int | None:
    return session.scalars(
        select(TCFVendorList.vendor_list_version).order_by(TCFVendorList.vendor_list_version.desc()).limit(1)
    ).first()


def current_vendor_list(*, session: Session) -> TCFVendorList | None:
    return session.scalars(select(TCFVendorList).order_by(TCFVendorList.vendor_list_version.desc()).limit(1)).first()


def vendor_list_entry(*, session: Session, vendor_ids: Collection[int]) -> VendorListEntry | None:
    """The current list with only the vendors in `vendor_ids`, or None when none is stored."""
    row = current_vendor_list(session=session)
    if row is None:
        return None
    wanted = {str(vendor_id) for vendor_id in vendor_ids}
    content = {**row.content, "vendors": {key: v for key, v in row.content["vendors"].items() if key in wanted}}
    return VendorListEntry(vendor_list_version=row.vendor_list_version, content=content, translations=row.translations)


def offered_vendors(*, session: Session) -> dict[int, str]:
    """The vendors of the current list a property may pick (id -> name); empty when no list is stored."""
    row = current_vendor_list(session=session)
    return gvl.offered_vendors(row.content) if row is not None else {}


def vendor_problems(*, session: Session, vendor_ids: Collection[int], field: str) -> dict[str, list[str]]:
    """Why `vendor_ids` cannot be a property's TCF vendors (field errors under `field`): each must be a vendor
    of the current list that is not deleted, so none can be named before a list is stored."""
    row = current_vendor_list(session=session)
    if row is None:
        return {field: [NoVendorList.message]} if vendor_ids else {}
    unknown = sorted(set(vendor_ids) - set(gvl.offered_vendors(row.content)))
    if not unknown:
        return {}
    shown = ", ".join(map(str, unknown[:20])) + (" ..." if len(unknown) > 20 else "")
    return {field: [f"Not vendors of Global Vendor List {row.vendor_list_version} (or deleted from it): {shown}."]}
