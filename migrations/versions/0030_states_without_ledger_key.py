"""consent_states without a foreign key into the partitioned ledger, so a month detaches without a scan.

PostgreSQL's DETACH PARTITION checks every foreign key that references the partitioned table by joining
the whole referencing table with the month, under the ledger's exclusive lock and a share lock on the
states: with consent_states' key into the ledger (0027), each month retention drops scanned every state
of every subject while no consent could be written (0.35 s a month for 20,000 states at 10 M events;
minutes at hundreds of millions of states). Every state written also paid the key's probe into the ledger.
What the key guarded, that a state folds an event of its own chain, the write path holds by storing the
state from the event it appends in the same transaction, and `flask ledger verify` checks it
(`state_differs`, `state_without_event`). `event_recorded_at` stays: it is the event's whole key, the
month a reader finds the state's event in.

Dropping a foreign key takes a brief exclusive lock on both tables and scans nothing; the downgrade adds
it back NOT VALID and validates it after the lock, as 0027 did.

Revision ID: 0030_states_without_ledger_key
Revises: 0029_partitioned_outbox
Create Date: 2026-12-05
"""
from alembic import op

revision = "0030_states_without_ledger_key"
down_revision = "0029_partitioned_outbox"
branch_labels = None
depends_on = None

KEY = "fk_consent_states_subject_id_consent_events"
COLUMNS = ["subject_id", "event_id", "event_recorded_at"]
EVENT_KEY = ["subject_id", "id", "recorded_at"]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(KEY, "consent_states", type_="foreignkey")
    else:
        with op.batch_alter_table("consent_states") as batch:
            batch.drop_constraint(KEY, type_="foreignkey")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE consent_states ADD CONSTRAINT {KEY} FOREIGN KEY ({', '.join(COLUMNS)}) "
                   f"REFERENCES consent_events ({', '.join(EVENT_KEY)}) NOT VALID")
        with op.get_context().autocommit_block():
            op.execute(f"ALTER TABLE consent_states VALIDATE CONSTRAINT {KEY}")
    else:
        with op.batch_alter_table("consent_states") as batch:
            batch.create_foreign_key(KEY, "consent_events", COLUMNS, EVENT_KEY)
