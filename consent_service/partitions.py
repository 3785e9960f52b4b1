"""Monthly partitions of a time-partitioned table on PostgreSQL: made ahead of time, listed, dropped whole.

Three tables are partitioned by range of a time column, one partition a month named <table>_yYYYYmMM,
plus <table>_default, which takes a row of a month that has no partition yet so that a write never fails
for want of one: the ledger (`consent_events` by `recorded_at`, migration 0027) and the webhook outbox
(`webhook_events` by `created_at` and `webhook_deliveries` by their event's `event_created_at`, migration
0029, so that an event and its deliveries share their month). `ensure_months` makes the coming months'
partitions (`flask ledger partitions`, and every `flask retention run`); a month whose rows already sit
in the DEFAULT partition is left there (PostgreSQL refuses a partition that would take rows out of
DEFAULT), and retention treats those rows row by row. On SQLite the tables are plain and everything here
answers "no partitions".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

MONTHS_AHEAD = 3


@dataclass(frozen=True)
class Table:
    """A table partitioned by month of `column`; `creating` and `dropping` are its advisory lock keys."""

    name: str
    column: str
    creating: int
    dropping: int
    month_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "month_pattern", re.compile(rf"^{self.name}_y(\d{{4}})m(\d{{2}})$"))

    @property
    def default(self) -> str:
        return f"{self.name}_default"


LEDGER = Table("consent_events", "recorded_at", creating=0x6C656467, dropping=0x6C656468)
OUTBOX_EVENTS = Table("webhook_events", "created_at", creating=0x77686B65, dropping=0x77686B66)
OUTBOX_DELIVERIES = Table("webhook_deliveries", "event_created_at", creating=0x77686B64, dropping=0x77686B66)
TABLES = (LEDGER, OUTBOX_EVENTS, OUTBOX_DELIVERIES)


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime  # exclusive


def is_partition(name: str | None) -> bool:
    """A partition of a partitioned table: a table the models do not describe, so `alembic check` skips it."""
    return name is not None and any(
        name == table.default or table.month_pattern.match(name) is not None for table in TABLES
    )


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: the partitions are the partitioned table's business, not the models'."""
    return not (type_ == "table" and is_partition(name))


def include_object(item: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object hook: PostgreSQL shows a foreign key to a partitioned table once more per
    partition."""
    referred = getattr(item, "referred_table", None)
    return not (type_ == "foreign_key_constraint" and is_partition(getattr(referred, "name", None)))


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: Table, month: datetime) -> str:
    return f"{table.name}_y{month:%Y}m{month:%m}"


def partitioned(session: Session, table: Table) -> bool:
    """Whether the table is a partitioned one (PostgreSQL after its migration)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"), {"name": table.name})
    return kind.scalar() == "p"


def months(session: Session, table: Table) -> list[Partition]:
    """The monthly partitions, oldest first (not DEFAULT); none on an unpartitioned table."""
    if not partitioned(session, table):
        return []
    names = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:name)"
        ),
        {"name": table.name},
    ).scalars()
    found = []
    for name in names:
        matched = table.month_pattern.match(name)
        if matched:
            start = datetime(int(matched[1]), int(matched[2]), 1, tzinfo=UTC)
            found.append(Partition(name, start, next_month(start)))
    return sorted(found, key=lambda partition: partition.start)


def ensure_months(*, session: Session, table: Table, now: datetime, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of this month and the `ahead` next ones that are missing; their names.
    A month whose rows are in DEFAULT already is skipped (they stay there, whole)."""
    if not partitioned(session, table):
        return []
    # Runs started together make the months one after the other; the second finds them made.
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": table.creating})
    existing = {partition.name for partition in months(session, table)}
    created = []
    month = month_start(now)
    for _ in range(ahead + 1):
        following = next_month(month)
        name = partition_name(table, month)
        if name not in existing and not _default_holds(session, table, month, following):
            session.execute(
                text(
                    f"CREATE TABLE {name} PARTITION OF {table.name} "
                    f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
                )
            )
            created.append(name)
        month = following
    return created


def _default_holds(session: Session, table: Table, start: datetime, end: datetime) -> bool:
    return bool(
        session.execute(
            text(
                f"SELECT EXISTS (SELECT FROM {table.default} WHERE {table.column} >= :start AND {table.column} < :end)"
            ),
            {"start": start, "end": end},
        ).scalar()
    )


def claim_drops(session: Session, table: Table, partition: Partition) -> bool:
    """Make this transaction the one dropping the table's months (until it ends), waiting for another run's
    month to commit first: two runs each holding rows of the table while waiting for the other's DETACH would
    deadlock. Taken before anything else of the transaction, so the wait holds no lock. Then whether the
    partition is still there (the other run may have dropped it meanwhile)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": table.dropping})
    return session.execute(text("SELECT to_regclass(:name)"), {"name": partition.name}).scalar() is not None


def drop(session: Session, table: Table, partition: Partition) -> None:
    """Detach the partition and drop it, in the caller's transaction (its rows go without a row trigger)."""
    session.execute(text(f"ALTER TABLE {table.name} DETACH PARTITION {partition.name}"))
    session.execute(text(f"DROP TABLE {partition.name}"))
