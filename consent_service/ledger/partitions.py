"""The ledger's monthly partitions on PostgreSQL: made ahead of time, listed, and dropped whole by retention.

consent_events is partitioned by range of `recorded_at` (migration 0027), one partition a month named
consent_events_yYYYYmMM, plus consent_events_default, which takes a row of a month that has no partition
yet so that a write never fails for want of one. `ensure_months` makes the coming months' partitions
(`flask ledger partitions`, and every `flask retention run`); a month whose rows already sit in the
DEFAULT partition is left there (PostgreSQL refuses a partition that would take rows out of DEFAULT),
and retention treats those rows row by row. On SQLite the ledger is a plain table and everything here
answers "no partitions".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

LEDGER = "consent_events"
DEFAULT = f"{LEDGER}_default"
MONTHS_AHEAD = 3
# Advisory lock keys (PostgreSQL): making months, dropping months.
_CREATING, _DROPPING = 0x6C656467, 0x6C656468
_MONTH = re.compile(rf"^{LEDGER}_y(\d{{4}})m(\d{{2}})$")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime  # exclusive


def is_partition(name: str | None) -> bool:
    """A partition of the ledger: a table the models do not describe, so `alembic check` skips it."""
    return name is not None and (name == DEFAULT or _MONTH.match(name) is not None)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: the partitions are the partitioned table's business, not the models'."""
    return not (type_ == "table" and is_partition(name))


def include_object(item: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object hook: PostgreSQL shows a foreign key to the ledger once more per partition."""
    referred = getattr(item, "referred_table", None)
    return not (type_ == "foreign_key_constraint" and is_partition(getattr(referred, "name", None)))


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"{LEDGER}_y{month:%Y}m{month:%m}"


def partitioned(session: Session) -> bool:
    """Whether the ledger is a partitioned table (PostgreSQL after migration 0027)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"), {"name": LEDGER})
    return kind.scalar() == "p"


def months(session: Session) -> list[Partition]:
    """The monthly partitions, oldest first (not DEFAULT); none on an unpartitioned ledger."""
    if not partitioned(session):
        return []
    names = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:name)"
        ),
        {"name": LEDGER},
    ).scalars()
    found = []
    for name in names:
        matched = _MONTH.match(name)
        if matched:
            start = datetime(int(matched[1]), int(matched[2]), 1, tzinfo=UTC)
            found.append(Partition(name, start, next_month(start)))
    return sorted(found, key=lambda partition: partition.start)


def ensure_months(*, session: Session, now: datetime, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of this month and the `ahead` next ones that are missing; their names.
    A month whose rows are in DEFAULT already is skipped (they stay there, whole and verifiable)."""
    if not partitioned(session):
        return []
    # Runs started together make the months one after the other; the second finds them made.
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATING})
    existing = {partition.name for partition in months(session)}
    created = []
    month = month_start(now)
    for _ in range(ahead + 1):
        following = next_month(month)
        name = partition_name(month)
        if name not in existing and not _default_holds(session, month, following):
            session.execute(
                text(
                    f"CREATE TABLE {name} PARTITION OF {LEDGER} "
                    f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
                )
            )
            created.append(name)
        month = following
    return created


def _default_holds(session: Session, start: datetime, end: datetime) -> bool:
    return bool(
        session.execute(
            text(f"SELECT EXISTS (SELECT FROM {DEFAULT} WHERE recorded_at >= :start AND recorded_at < :end)"),
            {"start": start, "end": end},
        ).scalar()
    )


def claim_drops(session: Session, partition: Partition) -> bool:
    """Make this transaction the one dropping months (until it ends), waiting for another run's month to
    commit first: two runs each holding rows of the ledger while waiting for the other's DETACH would
    deadlock. Taken before anything else of the transaction, so the wait holds no lock. Then whether the
    partition is still there (the other run may have dropped it meanwhile)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DROPPING})
    return session.execute(text("SELECT to_regclass(:name)"), {"name": partition.name}).scalar() is not None


def subjects_in(session: Session, partition: Partition) -> list[int]:
    """The subjects with an event in the partition, in id order."""
    return list(
        session.execute(text(f"SELECT DISTINCT subject_id FROM {partition.name} ORDER BY subject_id")).scalars()
    )


def drop(session: Session, partition: Partition) -> None:
    """Detach the partition and drop it, in the caller's transaction (its rows go without a row trigger:
    only the table's owner may do this, as only the owner may open the ledger to maintenance)."""
    session.execute(text(f"ALTER TABLE {LEDGER} DETACH PARTITION {partition.name}"))
    session.execute(text(f"DROP TABLE {partition.name}"))
