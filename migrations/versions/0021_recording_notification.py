"""Recording notification: events and states gain `notified_at`, when the person was given the notice.

An implied grant of recording ("by staying on the call") counts only with the time (`notified_at`)
and version (the event's `notice_version`) of the announcement the caller heard. The column is
nullable and added with plain ADD COLUMN (a batch copy would drop the ledger's append-only triggers
on SQLite); existing events keep no value, are never rewritten, and their hashes do not change (the
chain covers `notified_at` only when an event has one). SQLite's update trigger lists the proof
columns by name: it is replaced to cover the new one too (PostgreSQL's compares whole rows).

Revision ID: 0021_recording_notification
Revises: 0020_recipients
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_recording_notification"
down_revision = "0020_recipients"
branch_labels = None
depends_on = None

APPEND_ONLY = "consent_events is append-only"
PROOF_COLUMNS = (
    "id, subject_id, revision, purpose, decision, method, notice_version, regime, country, destination_country, "
    "age, property_key, language, banner_version, actor_type, recorded_at, personal_digest, prev_hash, hash"
)


def _sqlite_no_update(columns: str) -> str:
    return (f"CREATE TRIGGER consent_events_no_update BEFORE UPDATE OF {columns} ON consent_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def upgrade():
    op.add_column("consent_events", sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("consent_states", sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(_sqlite_no_update(f"{PROOF_COLUMNS}, notified_at"))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(_sqlite_no_update(PROOF_COLUMNS))
    op.drop_column("consent_states", "notified_at")
    op.drop_column("consent_events", "notified_at")
