"""The ledger partitioned by month on PostgreSQL, and every key of a subject's rows holding its subject.

consent_events' keys gain `subject_id` (the column a sharded cluster distributes by, docs/scaling.md)
and `recorded_at` (the column PostgreSQL partitions by: a partitioned table's keys must hold it). The
primary key becomes (id, subject_id, recorded_at) and the one-event-per-revision key (subject_id,
revision, recorded_at): the revision stays unique because every write moves the subject's revision from
the one it read (stores/), as before. consent_states names its event by that whole key
(`event_recorded_at` is new), issued_tokens are keyed by (subject_id, jti).

On PostgreSQL consent_events becomes a table partitioned by range of `recorded_at`, one partition a
month and a DEFAULT partition so that a write never fails for want of one; `flask ledger partitions`
and `flask retention run` create the months ahead (ledger/partitions.py). An existing ledger moves
online: the partitioned table is built beside the old one, a trigger mirrors into it what is written
meanwhile, the rows are copied in committed batches, and one short transaction under an exclusive lock
checks that both hold the same rows and swaps the tables (docs/operations.md, "Partitioning the
ledger"). The append-only triggers move to the new table: PostgreSQL clones its row trigger onto every
partition. SQLite keeps plain tables, rebuilt with the new keys (its triggers copied over).

Revision ID: 0027_partitioned_ledger
Revises: 0026_outgoing_mail
Create Date: 2026-12-05
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0027_partitioned_ledger"
down_revision = "0026_outgoing_mail"
branch_labels = None
depends_on = None

COPY_BATCH = 50_000
NEW = "consent_events_partitioned"
OLD = "consent_events_unpartitioned"
# Months created ahead of now when the table is made; later ones come from ledger/partitions.py.
MONTHS_AHEAD = 3


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
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def _create_months(table: str, first: datetime, last: datetime) -> None:
    month = _month_start(first)
    while month <= last:
        following = _next_month(month)
        op.execute(
            f"CREATE TABLE {table}_y{month:%Y}m{month:%m} PARTITION OF {table} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
        )
        month = following


def _upgrade_postgres():
    bind = op.get_bind()
    now = datetime.now(UTC)
    oldest = bind.execute(sa.text("SELECT min(recorded_at) FROM consent_events")).scalar() or now
    # 1. Beside the old table: the partitioned one, its months (oldest event's to a few ahead) and a DEFAULT.
    op.execute(f"CREATE TABLE {NEW} (LIKE consent_events INCLUDING DEFAULTS) PARTITION BY RANGE (recorded_at)")
    op.execute(f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_pkey PRIMARY KEY (id, subject_id, recorded_at)")
    last = _month_start(now)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    _create_months(NEW, oldest, last)
    op.execute(f"CREATE TABLE {NEW}_default PARTITION OF {NEW} DEFAULT")
    # Its other keys now, under names of its own, so the copy maintains them and the swap only renames.
    op.execute(f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_uq UNIQUE (subject_id, revision, recorded_at)")
    op.execute(f"CREATE INDEX {NEW}_ix ON {NEW} (subject_id, purpose, revision)")
    op.execute(f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_fk_purpose FOREIGN KEY (purpose) REFERENCES purposes (key)")
    op.execute(f"ALTER TABLE {NEW} ADD CONSTRAINT {NEW}_fk_subject FOREIGN KEY (subject_id) REFERENCES subjects (id)")
    op.add_column("consent_states", sa.Column("event_recorded_at", sa.DateTime(timezone=True), nullable=True))
    # 2. What is written to the old table from now on is written to the new one too.
    op.execute(f"""CREATE FUNCTION consent_events_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           INSERT INTO {NEW} SELECT NEW.* ON CONFLICT DO NOTHING;
         ELSIF TG_OP = 'UPDATE' THEN
           UPDATE {NEW} SET actor_id = NEW.actor_id, evidence = NEW.evidence
            WHERE id = NEW.id AND subject_id = NEW.subject_id AND recorded_at = NEW.recorded_at;
         ELSE
           DELETE FROM {NEW} WHERE id = OLD.id AND subject_id = OLD.subject_id AND recorded_at = OLD.recorded_at;
         END IF;
         RETURN NULL;
       END $$""")
    op.execute("CREATE TRIGGER consent_events_mirror AFTER INSERT OR UPDATE OR DELETE ON consent_events "
               "FOR EACH ROW EXECUTE FUNCTION consent_events_mirror()")
    with op.get_context().autocommit_block():
        # 3. The rows, a committed batch at a time, in key order. FOR SHARE: a row erasure pseudonymizes
        # meanwhile waits for its batch, then its mirrored UPDATE finds the copy.
        after = ""
        while True:
            last = bind.execute(sa.text(f"""
                WITH batch AS (
                  SELECT * FROM consent_events WHERE id > :after ORDER BY id LIMIT {COPY_BATCH} FOR SHARE
                ), copied AS (INSERT INTO {NEW} SELECT * FROM batch ON CONFLICT DO NOTHING)
                SELECT max(id) FROM batch"""), {"after": after}).scalar()
            if last is None:
                break
            after = last
        # Row by row, the copy is the ledger (in one snapshot; the trigger carries what changes after it).
        differing = bind.execute(sa.text(f"""
            SELECT count(*) FROM (SELECT id, subject_id, recorded_at, hash FROM consent_events
                                  EXCEPT SELECT id, subject_id, recorded_at, hash FROM {NEW}) AS differing""")).scalar()
        if differing:
            raise RuntimeError(f"{differing} ledger rows were not copied as they are: nothing was swapped")
        # States name their event's time; those written meanwhile are caught up under the lock below.
        while bind.execute(sa.text(f"""
            UPDATE consent_states AS s SET event_recorded_at = e.recorded_at FROM consent_events AS e
             WHERE (s.subject_id, s.purpose) IN (
                   SELECT subject_id, purpose FROM consent_states WHERE event_recorded_at IS NULL LIMIT {COPY_BATCH})
               AND e.id = s.event_id""")).rowcount:
            pass
    # 4. The swap, in the migration's transaction under an exclusive lock: nothing is written meanwhile.
    op.execute("LOCK TABLE consent_events, consent_states IN ACCESS EXCLUSIVE MODE")
    op.execute("""UPDATE consent_states AS s SET event_recorded_at = e.recorded_at FROM consent_events AS e
                   WHERE s.event_recorded_at IS NULL AND e.id = s.event_id""")
    counts = bind.execute(sa.text(f"SELECT (SELECT count(*) FROM consent_events), (SELECT count(*) FROM {NEW})")).one()
    if counts[0] != counts[1]:
        raise RuntimeError(f"the partitioned ledger holds {counts[1]} rows, the ledger {counts[0]}: nothing was swapped")
    op.execute("DROP TRIGGER consent_events_mirror ON consent_events")
    op.execute("DROP FUNCTION consent_events_mirror()")
    op.drop_constraint("fk_consent_states_event_id_consent_events", "consent_states", type_="foreignkey")
    op.execute(f"ALTER TABLE consent_events RENAME TO {OLD}")
    for name in ("pk_consent_events", "uq_consent_events_subject_id_revision"):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
    op.execute(f"ALTER INDEX ix_consent_events_subject_purpose_revision RENAME TO ix_{OLD}_subject_purpose_revision")
    for name in ("fk_consent_events_purpose_purposes", "fk_consent_events_subject_id_subjects"):
        op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {name} TO {name}_old")
    op.execute(f"ALTER TABLE {NEW} RENAME TO consent_events")
    op.execute(f"ALTER TABLE consent_events RENAME CONSTRAINT {NEW}_pkey TO pk_consent_events")
    for partition in bind.execute(sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'consent_events'::regclass")).scalars():
        op.execute(f"ALTER TABLE {partition} RENAME TO {partition.replace(NEW, 'consent_events', 1)}")
    op.execute(f"ALTER TABLE consent_events RENAME CONSTRAINT {NEW}_uq TO uq_consent_events_subject_id_revision_recorded_at")
    op.execute(f"ALTER INDEX {NEW}_ix RENAME TO ix_consent_events_subject_purpose_revision")
    op.execute(f"ALTER TABLE consent_events RENAME CONSTRAINT {NEW}_fk_purpose TO fk_consent_events_purpose_purposes")
    op.execute(f"ALTER TABLE consent_events RENAME CONSTRAINT {NEW}_fk_subject TO fk_consent_events_subject_id_subjects")
    op.execute("CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events "
               "FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()")
    op.execute("CREATE TRIGGER consent_events_owner_only_truncate BEFORE TRUNCATE ON consent_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION consent_events_owner_only_truncate()")
    # Checked by the count and the comparison above; the old table goes (DROP fires no row trigger).
    op.execute(f"DROP TABLE {OLD}")
    op.alter_column("consent_states", "event_recorded_at", nullable=False)
    # NOT VALID under the lock, validated after it (a scan of the states that lets writers through).
    op.execute("ALTER TABLE consent_states ADD CONSTRAINT fk_consent_states_subject_id_consent_events "
               "FOREIGN KEY (subject_id, event_id, event_recorded_at) "
               "REFERENCES consent_events (subject_id, id, recorded_at) NOT VALID")
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE consent_states VALIDATE CONSTRAINT fk_consent_states_subject_id_consent_events")
    _rekey_issued_tokens()


def _rekey_issued_tokens():
    op.drop_index("ix_issued_tokens_subject_id", table_name="issued_tokens")
    op.drop_constraint("pk_issued_tokens", "issued_tokens", type_="primary")
    op.create_primary_key("pk_issued_tokens", "issued_tokens", ["subject_id", "jti"])


def _downgrade_postgres():
    op.drop_constraint("pk_issued_tokens", "issued_tokens", type_="primary")
    op.create_primary_key("pk_issued_tokens", "issued_tokens", ["jti"])
    op.create_index("ix_issued_tokens_subject_id", "issued_tokens", ["subject_id"])
    op.drop_constraint("fk_consent_states_subject_id_consent_events", "consent_states", type_="foreignkey")
    op.execute("LOCK TABLE consent_events IN ACCESS EXCLUSIVE MODE")
    op.execute(f"CREATE TABLE {OLD} (LIKE consent_events INCLUDING DEFAULTS)")
    op.execute(f"INSERT INTO {OLD} SELECT * FROM consent_events")
    op.execute("DROP TABLE consent_events")
    op.execute(f"ALTER TABLE {OLD} RENAME TO consent_events")
    op.create_primary_key("pk_consent_events", "consent_events", ["id"])
    op.create_unique_constraint("uq_consent_events_subject_id_revision", "consent_events", ["subject_id", "revision"])
    op.create_index("ix_consent_events_subject_purpose_revision", "consent_events",
                    ["subject_id", "purpose", "revision"])
    op.create_foreign_key("fk_consent_events_purpose_purposes", "consent_events", "purposes", ["purpose"], ["key"])
    op.create_foreign_key("fk_consent_events_subject_id_subjects", "consent_events", "subjects",
                          ["subject_id"], ["id"])
    op.execute("CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events "
               "FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()")
    op.execute("CREATE TRIGGER consent_events_owner_only_truncate BEFORE TRUNCATE ON consent_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION consent_events_owner_only_truncate()")
    op.drop_column("consent_states", "event_recorded_at")
    op.create_foreign_key("fk_consent_states_event_id_consent_events", "consent_states", "consent_events",
                          ["event_id"], ["id"])


# --- SQLite -----------------------------------------------------------------------------------------


def _ledger_triggers() -> list[str]:
    return list(op.get_bind().execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'consent_events' ORDER BY name"
    )).scalars())


def _rebuild_sqlite(events_pk, events_unique, old_unique, states_fk, states_column_nullable):
    """Rebuild the two tables with foreign keys off (a rebuilt parent is dropped and renamed), the ledger's
    triggers copied over (a rebuild loses them), then check every foreign key."""
    triggers = _ledger_triggers()
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
        try:
            with op.batch_alter_table("consent_events", recreate="always") as batch:
                batch.drop_constraint(old_unique, type_="unique")
                batch.drop_constraint("pk_consent_events", type_="primary")
                batch.create_primary_key("pk_consent_events", events_pk)
                batch.create_unique_constraint(f"uq_consent_events_{'_'.join(events_unique)}", events_unique)
            for statement in triggers:
                op.execute(statement)
            with op.batch_alter_table("consent_states", recreate="always") as batch:
                batch.alter_column("event_recorded_at", nullable=states_column_nullable)
                states_fk(batch)
            problems = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).all()
            if problems:
                raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        finally:
            op.execute("PRAGMA foreign_keys=ON")


def _upgrade_sqlite():
    op.add_column("consent_states", sa.Column("event_recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE consent_states SET event_recorded_at = "
               "(SELECT recorded_at FROM consent_events WHERE consent_events.id = consent_states.event_id)")

    def states_fk(batch):
        batch.drop_constraint("fk_consent_states_event_id_consent_events", type_="foreignkey")
        batch.create_foreign_key("fk_consent_states_subject_id_consent_events", "consent_events",
                                 ["subject_id", "event_id", "event_recorded_at"], ["subject_id", "id", "recorded_at"])

    _rebuild_sqlite(["id", "subject_id", "recorded_at"], ["subject_id", "revision", "recorded_at"],
                    "uq_consent_events_subject_id_revision", states_fk, False)
    with op.batch_alter_table("issued_tokens") as batch:
        batch.drop_index("ix_issued_tokens_subject_id")
        batch.drop_constraint("pk_issued_tokens", type_="primary")
        batch.create_primary_key("pk_issued_tokens", ["subject_id", "jti"])


def _downgrade_sqlite():
    with op.batch_alter_table("issued_tokens") as batch:
        batch.drop_constraint("pk_issued_tokens", type_="primary")
        batch.create_primary_key("pk_issued_tokens", ["jti"])
        batch.create_index("ix_issued_tokens_subject_id", ["subject_id"])

    def states_fk(batch):
        batch.drop_constraint("fk_consent_states_subject_id_consent_events", type_="foreignkey")
        batch.create_foreign_key("fk_consent_states_event_id_consent_events", "consent_events",
                                 ["event_id"], ["id"])

    _rebuild_sqlite(["id"], ["subject_id", "revision"], "uq_consent_events_subject_id_revision_recorded_at",
                    states_fk, True)
    with op.batch_alter_table("consent_states") as batch:
        batch.drop_column("event_recorded_at")
