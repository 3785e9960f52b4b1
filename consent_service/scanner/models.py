"""The cookies a property declares, its compliance scans with their stored assessment, and their screenshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class CookieDeclaration(Base):
    """One declared cookie (or family of cookies, by glob) and why the property sets it."""

    __tablename__ = "cookie_declarations"
    # Declarations without a domain are told apart by the service: NULLs are distinct in a unique constraint.
    __table_args__ = (UniqueConstraint("property_id", "name_pattern", "domain"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # ckd_...
    property_id: Mapped[str] = mapped_column(String(40), ForeignKey("properties.id", ondelete="CASCADE"))
    name_pattern: Mapped[str] = mapped_column(String(200))  # a cookie name, or a glob with * (_ga_*)
    domain: Mapped[str | None] = mapped_column(String(253))  # lower-case host or IP; None: any domain
    purpose: Mapped[str] = mapped_column(String(40))
    retention: Mapped[str] = mapped_column(String(100))  # as told to visitors: "2 years", "session"
    description: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text; "en" always there
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Scan(Base):
    """One scan of a property's pages: the request, the worker's lease and progress, the assessment."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_property_id_created_at", "property_id", "created_at"),
        Index("ix_scans_status_created_at", "status", "created_at"),  # the worker's claim
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # scan_...
    property_id: Mapped[str] = mapped_column(String(40), ForeignKey("properties.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # vocabulary.ScanStatus
    urls: Mapped[list[str]] = mapped_column(JSON)
    # max_pages, page_seconds, total_seconds, extra_origins
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    pages_done: Mapped[int] = mapped_column(Integer)
    pages_total: Mapped[int] = mapped_column(Integer)
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # findings.Assessment.to_json(), once done
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)  # {violation, gap, stale}, once done
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(40))  # "api", "cli"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScanScreenshot(Base):
    """What the first page looked like in one browser state (observations.State), as PNG."""

    __tablename__ = "scan_screenshots"

    scan_id: Mapped[str] = mapped_column(String(40), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
