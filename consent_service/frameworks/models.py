"""The Global Vendor Lists the service keeps: one row per IAB vendor list version, never changed once stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class TCFVendorList(Base):
    """A GVL v3 as published (`content`), with the translations of its texts given beside it."""

    __tablename__ = "tcf_vendor_lists"

    vendor_list_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tcf_policy_version: Mapped[int] = mapped_column(Integer)
    gvl_specification_version: Mapped[int] = mapped_column(Integer)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # language -> {purposes, specialPurposes, features, specialFeatures, stacks, dataCategories}, as the IAB's
    # purposes-<language>.json carry them; English is the content itself.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)
