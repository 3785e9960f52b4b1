"""The consent rollup: counts per UTC day and dimension, updated in the transaction that records events.

One table holds two kinds of rows, so that one statement per request updates both:
- kind "event": events of one purpose, decision and method;
- kind "choice": banner choices (one per visitor choice, however many purposes it covered), with
  purpose and decision MISSING and method the banner method (accept all, reject all, custom).
Missing dimensions are stored as MISSING ('') rather than NULL, so that they take part in the
primary key (NULLs are never equal, and an ON CONFLICT on them would never fire). `shard` (subject
id mod SHARDS) spreads concurrent writers of the same day and dimensions over several rows, so
PostgreSQL writers do not all queue on one row lock; reads sum over it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Base

SHARDS = 8
MISSING = ""


class RollupKind(StrEnum):
    EVENT = "event"
    CHOICE = "choice"


class ConsentRollup(Base):
    """How many events (or banner choices) with these dimensions were recorded on a UTC day."""

    __tablename__ = "consent_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    property_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16), primary_key=True)
    method: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    regime: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger)
