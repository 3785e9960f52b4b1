"""The webhook outbox partitioned by month on PostgreSQL, an event and its deliveries in the same month.

webhook_events is partitioned by range of `created_at`; webhook_deliveries gains `event_created_at`
(its event's `created_at`, copied as `ordering_key` is) and is partitioned by it, so that a month of the
outbox is one partition of each table and retention drops both once every delivery in it is finished.
A partitioned table's keys must hold its partition column, so the keys become webhook_events
(sequence, created_at) and unique (id, created_at); webhook_deliveries (id, event_created_at), unique
(event_sequence, event_created_at, endpoint_id) (event first: it finds an event's deliveries), and its
foreign key names its event's whole key.
`sequence` and `id` stay unique by how they are made (one sequence, random ids).

On PostgreSQL the tables move online as the ledger did (0027): partitioned tables beside the old ones
(months from the oldest event's to three ahead, and a DEFAULT), triggers mirroring what is written,
updated or deleted meanwhile (the worker keeps delivering), committed batches of copy, a row-by-row
comparison, then one short transaction under an exclusive lock that compares the counts and swaps the
names; the BIGSERIAL sequence moves to the new table. SQLite keeps plain tables, rebuilt with the keys.
docs/operations.md, "Partitioning the webhook outbox".

Revision ID: 0029_partitioned_outbox
Revises: 0028_subject_head_hash
Create Date: 2026-12-05
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0029_partitioned_outbox"
down_revision = "0028_subject_head_hash"
branch_labels = None
depends_on = None

COPY_BATCH = 50_000
MONTHS_AHEAD = 3
EVENTS, DELIVERIES = "webhook_events", "webhook_deliveries"
NEW_EVENTS, NEW_DELIVERIES = f"{EVENTS}_partitioned", f"{DELIVERIES}_partitioned"
SEQUENCE = "webhook_events_sequence_seq"
DELIVERY_UNIQUE = "uq_webhook_deliveries_event_endpoint"
EVENT_FK = "fk_webhook_deliveries_event_sequence_webhook_events"
ENDPOINT_FK = "fk_webhook_deliveries_endpoint_id_webhook_endpoints"
DELIVERY_COLUMNS = ("id", "event_sequence", "endpoint_id", "ordering_key", "status", "attempts", "next_attempt_at",
                    "retrying_since", "lease_owner", "lease_until", "last_attempt_at", "last_status_code",
                    "last_error", "delivered_at")
EVENT_COLUMNS = ("sequence", "id", "type", "ordering_key", "revision", "payload", "created_at")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgres()
    else:
        _downgrade_sqlite()


# --- PostgreSQL -------------------------------------------------------------------------------------


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def _create_months(table: str, first: datetime, last: datetime) -> None:
    month = _month_start(first)
    while month <= last:
        following = _next_month(month)
        op.execute(f"CREATE TABLE {table}_y{month:%Y}m{month:%m} PARTITION OF {table} "
                   f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')")
        month = following
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")


def _mirror(table: str, new: str, key: str, columns: tuple[str, ...], insert_select: str) -> None:
    """A trigger on `table` that repeats in `new` each row inserted, updated or deleted (by `key`)."""
    assignments = ", ".join(f"{column} = NEW.{column}" for column in columns if column != key)
    op.execute(f"""CREATE FUNCTION {table}_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           {insert_select} ON CONFLICT DO NOTHING;
         ELSIF TG_OP = 'UPDATE' THEN
           UPDATE {new} SET {assignments} WHERE {key} = NEW.{key};
         ELSE
           DELETE FROM {new} WHERE {key} = OLD.{key};
         END IF;
         RETURN NULL;
       END $$""")
    op.execute(f"CREATE TRIGGER {table}_mirror AFTER INSERT OR UPDATE OR DELETE ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION {table}_mirror()")


def _upgrade_postgres():
    bind = op.get_bind()
    now = datetime.now(UTC)
    oldest = bind.execute(sa.text(f"SELECT min(created_at) FROM {EVENTS}")).scalar() or now
    last = _month_start(now)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    events, deliveries = ", ".join(EVENT_COLUMNS), ", ".join(DELIVERY_COLUMNS)
    # 1. Beside the old tables: the partitioned ones, with their months, keys and indexes under names of
    # their own (the copy maintains them, the swap only renames).
    op.add_column(DELIVERIES, sa.Column("event_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"CREATE TABLE {NEW_EVENTS} (LIKE {EVENTS} INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)")
    op.execute(f"ALTER TABLE {NEW_EVENTS} ADD CONSTRAINT {NEW_EVENTS}_pkey PRIMARY KEY (sequence, created_at)")
    op.execute(f"ALTER TABLE {NEW_EVENTS} ADD CONSTRAINT {NEW_EVENTS}_uq UNIQUE (id, created_at)")
    _create_months(NEW_EVENTS, oldest, last)
    op.execute(f"CREATE TABLE {NEW_DELIVERIES} (LIKE {DELIVERIES} INCLUDING DEFAULTS) "
               "PARTITION BY RANGE (event_created_at)")
    op.execute(f"ALTER TABLE {NEW_DELIVERIES} ADD CONSTRAINT {NEW_DELIVERIES}_pkey PRIMARY KEY (id, event_created_at)")
    op.execute(f"ALTER TABLE {NEW_DELIVERIES} ADD CONSTRAINT {NEW_DELIVERIES}_uq "
               "UNIQUE (event_sequence, event_created_at, endpoint_id)")
    _create_months(NEW_DELIVERIES, oldest, last)
    op.execute(f"CREATE INDEX {NEW_DELIVERIES}_ix_due ON {NEW_DELIVERIES} (status, next_attempt_at)")
    op.execute(f"CREATE INDEX {NEW_DELIVERIES}_ix_order ON {NEW_DELIVERIES} (endpoint_id, ordering_key, event_sequence)")
    op.execute(f"ALTER TABLE {NEW_DELIVERIES} ADD CONSTRAINT {NEW_DELIVERIES}_fk_endpoint "
               "FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id)")
    op.execute(f"ALTER TABLE {NEW_DELIVERIES} ADD CONSTRAINT {NEW_DELIVERIES}_fk_event FOREIGN KEY "
               f"(event_sequence, event_created_at) REFERENCES {NEW_EVENTS} (sequence, created_at)")
    # 2. What is written to the old tables from now on is written to the new ones too (a delivery written by
    # the code of before has no event_created_at: it is its event's, found by the sequence).
    _mirror(EVENTS, NEW_EVENTS, "sequence", EVENT_COLUMNS,
            f"INSERT INTO {NEW_EVENTS} ({events}) SELECT {', '.join(f'NEW.{c}' for c in EVENT_COLUMNS)}")
    _mirror(DELIVERIES, NEW_DELIVERIES, "id", DELIVERY_COLUMNS,
            f"INSERT INTO {NEW_DELIVERIES} ({deliveries}, event_created_at) "
            f"SELECT {', '.join(f'NEW.{c}' for c in DELIVERY_COLUMNS)}, e.created_at "
            f"FROM {EVENTS} AS e WHERE e.sequence = NEW.event_sequence")
    with op.get_context().autocommit_block():
        # 3. The rows, a committed batch at a time in key order, events before the deliveries naming them.
        # FOR SHARE: a change made meanwhile waits for its batch, then its mirrored statement finds the copy.
        _copy(f"""WITH batch AS (SELECT * FROM {EVENTS} WHERE sequence > :after ORDER BY sequence
                                 LIMIT {COPY_BATCH} FOR SHARE),
                  copied AS (INSERT INTO {NEW_EVENTS} ({events}) SELECT {events} FROM batch ON CONFLICT DO NOTHING)
                  SELECT max(sequence) FROM batch""", 0)
        _copy(f"""WITH batch AS (SELECT * FROM {DELIVERIES} WHERE id > :after ORDER BY id
                                 LIMIT {COPY_BATCH} FOR SHARE),
                  copied AS (INSERT INTO {NEW_DELIVERIES} ({deliveries}, event_created_at)
                             SELECT {', '.join(f'b.{c}' for c in DELIVERY_COLUMNS)}, e.created_at
                               FROM batch AS b JOIN {EVENTS} AS e ON e.sequence = b.event_sequence
                             ON CONFLICT DO NOTHING)
                  SELECT max(id) FROM batch""", "")
        # Row by row, the copies are the outbox (in one snapshot; the triggers carry what changes after it).
        _compare(events, deliveries)
    # 4. The swap, in the migration's transaction under an exclusive lock: nothing is written meanwhile.
    op.execute(f"LOCK TABLE {EVENTS}, {DELIVERIES} IN ACCESS EXCLUSIVE MODE")
    for old, new in ((EVENTS, NEW_EVENTS), (DELIVERIES, NEW_DELIVERIES)):
        counts = bind.execute(sa.text(f"SELECT (SELECT count(*) FROM {old}), (SELECT count(*) FROM {new})")).one()
        if counts[0] != counts[1]:
            raise RuntimeError(f"{new} holds {counts[1]} rows, {old} {counts[0]}: nothing was swapped")
        op.execute(f"DROP TRIGGER {old}_mirror ON {old}")
        op.execute(f"DROP FUNCTION {old}_mirror()")
    # The sequence belongs to the old column (it would go with it): it moves to the new one.
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {NEW_EVENTS}.sequence")
    op.execute(f"DROP TABLE {DELIVERIES}")
    op.execute(f"DROP TABLE {EVENTS}")
    for old, new in ((EVENTS, NEW_EVENTS), (DELIVERIES, NEW_DELIVERIES)):
        op.execute(f"ALTER TABLE {new} RENAME TO {old}")
        for partition in bind.execute(sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:name)"), {"name": old}).scalars():
            op.execute(f"ALTER TABLE {partition} RENAME TO {partition.replace(new, old, 1)}")
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {new}_pkey TO pk_{old}")
    op.execute(f"ALTER TABLE {EVENTS} RENAME CONSTRAINT {NEW_EVENTS}_uq TO uq_webhook_events_id_created_at")
    op.execute(f"ALTER TABLE {DELIVERIES} RENAME CONSTRAINT {NEW_DELIVERIES}_uq TO {DELIVERY_UNIQUE}")
    op.execute(f"ALTER INDEX {NEW_DELIVERIES}_ix_due RENAME TO ix_webhook_deliveries_status_next_attempt_at")
    op.execute(f"ALTER INDEX {NEW_DELIVERIES}_ix_order RENAME TO ix_webhook_deliveries_endpoint_ordering")
    op.execute(f"ALTER TABLE {DELIVERIES} RENAME CONSTRAINT {NEW_DELIVERIES}_fk_endpoint TO {ENDPOINT_FK}")
    op.execute(f"ALTER TABLE {DELIVERIES} RENAME CONSTRAINT {NEW_DELIVERIES}_fk_event TO {EVENT_FK}")


def _copy(statement: str, after) -> None:
    bind = op.get_bind()
    while (last := bind.execute(sa.text(statement), {"after": after}).scalar()) is not None:
        after = last


def _compare(events: str, deliveries: str) -> None:
    bind = op.get_bind()
    for old, new, columns in ((EVENTS, NEW_EVENTS, events), (DELIVERIES, NEW_DELIVERIES, deliveries)):
        # JSON has no equality in PostgreSQL: the payload is compared as its text.
        shown = columns.replace("payload", "payload::text")
        differing = bind.execute(sa.text(
            f"SELECT count(*) FROM (SELECT {shown} FROM {old} EXCEPT SELECT {shown} FROM {new}) AS differing")).scalar()
        if differing:
            raise RuntimeError(f"{differing} rows of {old} were not copied as they are: nothing was swapped")


def _downgrade_postgres():
    op.execute(f"LOCK TABLE {EVENTS}, {DELIVERIES} IN ACCESS EXCLUSIVE MODE")
    for table in (EVENTS, DELIVERIES):
        op.execute(f"CREATE TABLE {table}_plain (LIKE {table} INCLUDING DEFAULTS)")
        op.execute(f"INSERT INTO {table}_plain SELECT * FROM {table}")
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {EVENTS}_plain.sequence")
    op.execute(f"DROP TABLE {DELIVERIES}")
    op.execute(f"DROP TABLE {EVENTS}")
    for table in (EVENTS, DELIVERIES):
        op.execute(f"ALTER TABLE {table}_plain RENAME TO {table}")
    op.drop_column(DELIVERIES, "event_created_at")
    op.create_primary_key(f"pk_{EVENTS}", EVENTS, ["sequence"])
    op.create_unique_constraint("uq_webhook_events_id", EVENTS, ["id"])
    op.create_primary_key(f"pk_{DELIVERIES}", DELIVERIES, ["id"])
    op.create_unique_constraint("uq_webhook_deliveries_endpoint_id_event_sequence", DELIVERIES,
                                ["endpoint_id", "event_sequence"])
    op.create_index("ix_webhook_deliveries_status_next_attempt_at", DELIVERIES, ["status", "next_attempt_at"])
    op.create_index("ix_webhook_deliveries_endpoint_ordering", DELIVERIES,
                    ["endpoint_id", "ordering_key", "event_sequence"])
    op.create_foreign_key(ENDPOINT_FK, DELIVERIES, "webhook_endpoints", ["endpoint_id"], ["id"])
    op.create_foreign_key(EVENT_FK, DELIVERIES, EVENTS, ["event_sequence"], ["sequence"])


# --- SQLite -----------------------------------------------------------------------------------------


def _rebuild_sqlite(upgrading: bool) -> None:
    """Rebuild both tables with foreign keys off (a rebuilt parent is dropped and renamed), then check them."""
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
        try:
            with op.batch_alter_table(DELIVERIES, recreate="always") as batch:
                batch.drop_constraint(EVENT_FK, type_="foreignkey")
                batch.drop_constraint(f"pk_{DELIVERIES}", type_="primary")
                if upgrading:
                    batch.alter_column("event_created_at", nullable=False)
                    batch.drop_constraint("uq_webhook_deliveries_endpoint_id_event_sequence", type_="unique")
                    batch.create_primary_key(f"pk_{DELIVERIES}", ["id", "event_created_at"])
                    batch.create_unique_constraint(DELIVERY_UNIQUE, ["event_sequence", "event_created_at", "endpoint_id"])
                    batch.create_foreign_key(EVENT_FK, EVENTS, ["event_sequence", "event_created_at"],
                                             ["sequence", "created_at"])
                else:
                    batch.drop_constraint(DELIVERY_UNIQUE, type_="unique")
                    batch.drop_column("event_created_at")
                    batch.create_primary_key(f"pk_{DELIVERIES}", ["id"])
                    batch.create_unique_constraint("uq_webhook_deliveries_endpoint_id_event_sequence",
                                                   ["endpoint_id", "event_sequence"])
                    batch.create_foreign_key(EVENT_FK, EVENTS, ["event_sequence"], ["sequence"])
            with op.batch_alter_table(EVENTS, recreate="always") as batch:
                batch.drop_constraint(f"pk_{EVENTS}", type_="primary")
                if upgrading:
                    batch.drop_constraint("uq_webhook_events_id", type_="unique")
                    batch.create_primary_key(f"pk_{EVENTS}", ["sequence", "created_at"])
                    batch.create_unique_constraint("uq_webhook_events_id_created_at", ["id", "created_at"])
                else:
                    batch.drop_constraint("uq_webhook_events_id_created_at", type_="unique")
                    batch.create_primary_key(f"pk_{EVENTS}", ["sequence"])
                    batch.create_unique_constraint("uq_webhook_events_id", ["id"])
            problems = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).all()
            if problems:
                raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        finally:
            op.execute("PRAGMA foreign_keys=ON")


def _upgrade_sqlite():
    op.add_column(DELIVERIES, sa.Column("event_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE {DELIVERIES} SET event_created_at = "
               f"(SELECT created_at FROM {EVENTS} WHERE {EVENTS}.sequence = {DELIVERIES}.event_sequence)")
    _rebuild_sqlite(upgrading=True)


def _downgrade_sqlite():
    _rebuild_sqlite(upgrading=False)
