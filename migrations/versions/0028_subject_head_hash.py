"""The head of each subject's chain kept on its row (`subjects.head_hash`), so a write never reads the ledger.

Reading the head from the ledger probed every month's partition (migration 0027); every write now sets
the column with the revision, in the same statement. Existing subjects get the hash of their event at
their revision, their chain's head.

On PostgreSQL the column is filled in committed batches while the service keeps writing: a temporary
trigger clears the column of a subject whose revision moves without it (a write by the code of before
this migration), and the rows left without a head are filled once more under a lock that holds writers
back, before the trigger goes. SQLite fills it in one statement, under the migration's write lock.

Revision ID: 0028_subject_head_hash
Revises: 0027_partitioned_ledger
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0028_subject_head_hash"
down_revision = "0027_partitioned_ledger"
branch_labels = None
depends_on = None

FILL_BATCH = 10_000
# The hash of the subject's event at its revision: its chain's head (where they differ, `flask ledger verify`
# names the gap). By the row's revision, not the ledger's latest: when a batch's UPDATE waits for a writer of
# before, it sees the row's new revision but the ledger as of its start, so it finds no event and leaves the
# head empty for the last step, where the latest event of its snapshot would be a stale head.
HEAD = ("(SELECT e.hash FROM consent_events AS e WHERE e.subject_id = subjects.id "
        "AND e.revision = subjects.revision)")


def upgrade():
    op.add_column("subjects", sa.Column("head_hash", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _fill_postgres()
    else:
        op.execute(f"UPDATE subjects SET head_hash = {HEAD} WHERE revision > 0")


def downgrade():
    op.drop_column("subjects", "head_hash")


# While the column fills, a write of the code of before moves the revision and leaves the head: cleared, so
# the last step fills it again. A write of this version sets both and is left alone.
STALE_FUNCTION = """CREATE FUNCTION subjects_head_hash_stale() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     NEW.head_hash := NULL;
     RETURN NEW;
   END $$"""
STALE_TRIGGER = ("CREATE TRIGGER subjects_head_hash_stale BEFORE UPDATE OF revision ON subjects FOR EACH ROW "
                 "WHEN (NEW.revision IS DISTINCT FROM OLD.revision AND NEW.head_hash IS NOT DISTINCT FROM OLD.head_hash) "
                 "EXECUTE FUNCTION subjects_head_hash_stale()")
FILL_REST = f"UPDATE subjects SET head_hash = {HEAD} WHERE revision > 0 AND head_hash IS NULL"


def _fill_postgres():
    bind = op.get_bind()
    op.execute(STALE_FUNCTION)
    op.execute(STALE_TRIGGER)
    with op.get_context().autocommit_block():
        # A committed batch of subjects at a time, in key order: each holds its rows' locks only briefly.
        after = 0
        while True:
            last = bind.execute(sa.text(f"""
                WITH batch AS (
                  SELECT id FROM subjects WHERE id > :after ORDER BY id LIMIT {FILL_BATCH}
                ), filled AS (
                  UPDATE subjects SET head_hash = {HEAD}
                   WHERE id IN (SELECT id FROM batch) AND revision > 0 AND head_hash IS NULL)
                SELECT max(id) FROM batch"""), {"after": after}).scalar()
            if last is None:
                break
            after = last
    # What was written meanwhile by the code of before, in the migration's transaction: writers wait for it.
    op.execute("LOCK TABLE subjects IN SHARE ROW EXCLUSIVE MODE")
    op.execute(FILL_REST)
    op.execute("DROP TRIGGER subjects_head_hash_stale ON subjects")
    op.execute("DROP FUNCTION subjects_head_hash_stale()")
