"""Consent events keep the ISO 3166-2 subdivision the request named (`region`, e.g. US-CA).

Answers resolve subdivision, then country, then the default regime; the evidence of a decision says
the place it was given for. Nullable: events written before keep none (and their hash, which covers
`region` only when there is one: consents/chain.py). Adding a column leaves the ledger's
append-only triggers in place.

Revision ID: 0021_event_region
Revises: 0020_recipients
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_event_region"
down_revision = "0020_recipients"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("consent_events", sa.Column("region", sa.String(length=6), nullable=True))


def downgrade():
    op.drop_column("consent_events", "region")
