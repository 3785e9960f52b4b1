"""The banner versions served: each stored once (banner_versions), read back when a choice names its version."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from consent_service.banner.models import BannerVersion
from consent_service.database import upsert_insert

if TYPE_CHECKING:  # only named in signatures: the app builds a ledger without the banner's whole service
    from consent_service.banner.service import BannerConfig
    from consent_service.properties.service import PropertyEntry

KNOWN_VERSIONS_LIMIT = 10_000


@dataclass(frozen=True)
class ShownBanner:
    """A banner version as stored (banner_versions): what a choice was made on."""

    hash: str
    property_id: str
    language: str
    regime: str
    notice_version: str
    content: Mapping[str, Any]


class VersionLedger:
    """Stores each banner version once; versions are content hashes, so what is known stays true."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._shown: dict[str, ShownBanner] = {}
        self._lock = threading.Lock()

    def shown(self, *, session: Session, version: str) -> ShownBanner | None:
        """The stored banner version with this hash. A row is never changed or deleted once
        written (its key is a hash of its content), so one read per process is enough; a hash
        not found is asked again next time."""
        found = self._shown.get(version)
        if found is not None:
            return found
        row = session.get(BannerVersion, version)
        if row is None:
            return None
        found = ShownBanner(
            hash=row.hash,
            property_id=row.property_id,
            language=row.language,
            regime=row.regime,
            notice_version=row.notice_version,
            content=row.content,
        )
        with self._lock:
            if len(self._shown) >= KNOWN_VERSIONS_LIMIT:
                self._shown.clear()
            self._shown[version] = found
        return found

    def remember(self, *, session: Session, prop: PropertyEntry, config: BannerConfig, now: datetime) -> None:
        with self._lock:
            if config.version in self._known:
                return
        insert = upsert_insert(session)
        session.execute(
            insert(BannerVersion)
            .values(
                hash=config.version,
                property_id=prop.id,
                language=config.language,
                regime=config.regime.value,
                notice_version=prop.notice_version,
                content=config.content,
                first_served_at=now,
            )
            .on_conflict_do_nothing(index_elements=["hash"])
        )
        session.commit()
        with self._lock:
            if len(self._known) >= KNOWN_VERSIONS_LIMIT:
                self._known.clear()
            self._known.add(config.version)
