"""Suppression entries keep the purposes the erased person had refused.

Erasure forgot opt-outs: a returning identifier was kept out of communication purposes only, so an
opt-out of sale/sharing or an objection to automated decisions fell back to the regime's default.
`suppressions.refused_purposes` holds the refused purpose keys (no personal data); entries written
before it stay NULL, and keep suppressing communication purposes only.

Revision ID: 0017_suppression_keeps_refusals
Revises: 0015_ledger_evidence
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_suppression_keeps_refusals"
down_revision = "0015_ledger_evidence"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("suppressions", sa.Column("refused_purposes", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("suppressions", "refused_purposes")
