"""Keys, purposes, material notices, properties, signing keys, recipients, declared cookies and the vendor list
held in memory per process, validated on every request: the snapshot, how it is loaded and how a process holds it.

It sits above the domains whose rows it holds and below the ones that read it (consents, banner,
tokens); the counter it is checked against is generations.counter.

A snapshot is read whole, generation first; it answers only while the generation read with a
request's own data (in the same statement where the hot paths can, else one small read) still
equals the snapshot's. Triggers bump the generation in the transaction of every change to those
tables (migrations 0008, 0009, 0020, 0023 and 0024), so no process ever answers from rows another process has
changed: a revoked key is refused, a new purpose is known, a material notice counts, an origin added to a
property is allowed, a deleted signing key verifies nothing, a recipient's changed safeguards count,
a declared cookie is listed, a new vendor list is disclosed, on the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy.orm import Session

from consent_service.apikeys import service as apikeys
from consent_service.frameworks import service as vendor_lists
from consent_service.frameworks.service import VendorListEntry
from consent_service.generations.counter import Confirmable, StaleSnapshot, current_generation, generation_value
from consent_service.notices import service as notices
from consent_service.notices.service import MaterialChange
from consent_service.properties import service as properties
from consent_service.properties.service import PropertyEntry
from consent_service.purposes import service as purposes
from consent_service.purposes.service import CataloguePurpose
from consent_service.recipients import service as recipients
from consent_service.recipients.service import RecipientEntry
from consent_service.scanner import service as scanner
from consent_service.scanner.service import DeclarationEntry
from consent_service.signing_keys import keystore
from consent_service.signing_keys.keystore import PublishedKey
from consent_service.vocabulary import Framework

# The counter's names stay importable from here for the modules that read them here (consents).
__all__ = [
    "MAX_TRIES",
    "Snapshot",
    "SnapshotCache",
    "StaleSnapshot",
    "current_generation",
    "fresh",
    "generation_value",
    "load",
]

T = TypeVar("T")
# A request whose snapshot went stale is answered again with a fresh one; a generation that keeps
# moving under it that often is a storm of admin changes, and the last try reads without a cache.
MAX_TRIES = 3


@dataclass(frozen=True, kw_only=True)
class Snapshot(Confirmable):
    """The watched rows of every domain that has some, read at one generation."""

    keys: dict[str, apikeys.KeyEntry]
    catalogue: dict[str, CataloguePurpose]
    material_changes: tuple[MaterialChange, ...]
    # By publishable key: what the banner's endpoints need of each property.
    properties: dict[str, PropertyEntry]
    # By kid: the public halves that verify tokens (the banner's returning visitors).
    signing_keys: dict[str, PublishedKey]
    # By key: the recipients of transfers and their safeguards, which transfer checks name.
    recipients: dict[str, RecipientEntry]
    # By property id: the cookies it declares, which its banner lists under their purposes.
    declarations: dict[str, tuple[DeclarationEntry, ...]]
    # The current Global Vendor List, its vendors only those the properties enabling TCF name (None: no list
    # stored, or no property enables TCF).
    vendor_list: VendorListEntry | None = None

    def authenticate(self, presented: str) -> apikeys.Principal:
        return apikeys.principal_of(self.keys, presented)


def load(*, session: Session) -> Snapshot:
    """The generation first, then the rows: rows newer than their label only cause one more reload,
    never a stale answer."""
    generation = current_generation(session=session)
    props = properties.property_entries(session=session)
    tcf = [prop for prop in props.values() if Framework.TCF in prop.frameworks]
    return Snapshot(
        generation=generation,
        keys=apikeys.key_entries(session=session),
        catalogue=purposes.catalogue_entries(session=session),
        material_changes=tuple(notices.material_changes(session=session)),
        properties=props,
        vendor_list=(
            vendor_lists.vendor_list_entry(session=session, vendor_ids={v for prop in tcf for v in prop.tcf_vendors})
            if tcf
            else None
        ),
        signing_keys=keystore.published_keys(session=session),
        recipients=recipients.recipient_entries(session=session),
        declarations=scanner.declaration_entries(session=session),
    )


def fresh(*, session: Session) -> Snapshot:
    """A snapshot loaded now for one call, for callers without a cache (CLI, other services)."""
    return replace(load(session=session), final=True)


class SnapshotCache:
    """This process's snapshot: replaced whole (never mutated), so readers need no lock."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None

    def current(self, *, session: Session) -> Snapshot:
        """The held snapshot, unconfirmed: the caller confirms it with its own read."""
        return self._snapshot or self.reload(session=session)

    def reload(self, *, session: Session) -> Snapshot:
        # Whichever reload finishes last wins: every use confirms its snapshot anyway.
        self._snapshot = snapshot = load(session=session)
        return snapshot

    def confirmed(self, *, session: Session) -> Snapshot:
        """A snapshot confirmed by one small read now, for paths that cannot fuse the read."""
        snapshot = self.current(session=session)
        if current_generation(session=session) != snapshot.generation:
            snapshot = self.reload(session=session)
        return snapshot

    def run(self, *, session: Session, work: Callable[[Snapshot], T], rollback: bool = False) -> T:
        """Run `work` with the held snapshot; if it reports the snapshot stale, reload and redo.

        Work confirms its snapshot before it writes anything that depends on it, so a redo in the
        same transaction repeats nothing but reads (and idempotent upserts); work whose attempts
        differ (a new random visitor each) asks for a rollback between them."""
        snapshot = self.current(session=session)
        for _ in range(MAX_TRIES - 1):
            try:
                return work(snapshot)
            except StaleSnapshot:
                if rollback:
                    session.rollback()
                snapshot = self.reload(session=session)
        return work(replace(snapshot, final=True))
