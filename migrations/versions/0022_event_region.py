"""Consent events keep the ISO 3166-2 subdivision the request named (`region`, e.g. US-CA).

Answers resolve subdivision, then country, then the default regime; the evidence of a decision says
the place it was given for. Nullable: events written before keep none (and their hash, which covers
`region` only when there is one: consents/chain.py). Plain ADD COLUMN keeps the ledger's append-only
triggers; SQLite's update trigger lists the proof columns by name, so it is replaced to cover
`region` too (PostgreSQL's compares whole rows).

Revision ID: 0022_event_region
Revises: 0021_recording_notification
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_event_region"
down_revision = "0021_recording_notification"
branch_labels = None
depends_on = None

APPEND_ONLY = "consent_events is append-only"
# The proof columns of 0021_recording_notification's trigger.
PROOF_COLUMNS = (
    "id, subject_id, revision, purpose, decision, method, notice_version, regime, country, destination_country, "
    "age, property_key, language, banner_version, actor_type, recorded_at, personal_digest, prev_hash, hash, "
    "notified_at"
)


def _sqlite_no_update(columns: str) -> str:
    return (f"CREATE TRIGGER consent_events_no_update BEFORE UPDATE OF {columns} ON consent_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def upgrade():
    op.add_column("consent_events", sa.Column("region", sa.String(length=6), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(_sqlite_no_update(f"{PROOF_COLUMNS}, region"))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(_sqlite_no_update(PROOF_COLUMNS))
    op.drop_column("consent_events", "region")
