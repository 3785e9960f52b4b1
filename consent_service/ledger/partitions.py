"""The ledger's monthly partitions on PostgreSQL (consent_service/partitions.py, bound to consent_events).

consent_events is partitioned by range of `recorded_at` (migration 0027), one partition a month named
consent_events_yYYYYmMM, plus consent_events_default; retention drops a month whose every chain goes.
The ledger's rows go only by the owner's maintenance (consents/maintenance.py), so DETACH and DROP run
in a transaction that opened the ledger to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from consent_service import partitions as _partitions
from consent_service.partitions import (
    MONTHS_AHEAD,
    Partition,
    include_name,
    include_object,
    is_partition,
    month_start,
    next_month,
)

__all__ = [
    "DEFAULT",
    "LEDGER",
    "MONTHS_AHEAD",
    "Partition",
    "claim_drops",
    "drop",
    "ensure_months",
    "include_name",
    "include_object",
    "is_partition",
    "month_start",
    "months",
    "next_month",
    "partition_name",
    "partitioned",
    "subjects_in",
]

TABLE = _partitions.LEDGER
LEDGER = TABLE.name
DEFAULT = TABLE.default


def partition_name(month: datetime) -> str:
    return _partitions.partition_name(TABLE, month)


def partitioned(session: Session) -> bool:
    """Whether the ledger is a partitioned table (PostgreSQL after migration 0027)."""
    return _partitions.partitioned(session, TABLE)


def months(session: Session) -> list[Partition]:
    """The ledger's monthly partitions, oldest first (not DEFAULT); none on an unpartitioned ledger."""
    return _partitions.months(session, TABLE)


def ensure_months(*, session: Session, now: datetime, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the ledger's partitions of this month and the `ahead` next ones that are missing; their names."""
    return _partitions.ensure_months(session=session, table=TABLE, now=now, ahead=ahead)


def claim_drops(session: Session, partition: Partition) -> bool:
    """`partitions.claim_drops` for the ledger."""
    return _partitions.claim_drops(session, TABLE, partition)


def subjects_in(session: Session, partition: Partition) -> list[int]:
    """The subjects with an event in the partition, in id order."""
    return list(
        session.execute(text(f"SELECT DISTINCT subject_id FROM {partition.name} ORDER BY subject_id")).scalars()
    )


def drop(session: Session, partition: Partition) -> None:
    """Detach the ledger's partition and drop it, in the caller's transaction (its rows go without a row
    trigger: only the table's owner may do this, as only the owner may open the ledger to maintenance)."""
    _partitions.drop(session, TABLE, partition)
