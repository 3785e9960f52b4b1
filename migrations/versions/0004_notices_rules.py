"""Notice versions; what the rules need to know of subjects (country, minority) and states.

Revision ID: 0004_notices_rules
Revises: 0003_webhooks
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_notices_rules"
down_revision = "0003_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("property_key", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("property_key", "kind", "version", name=op.f("uq_notices_property_key_kind_version")),
    )
    op.add_column("subjects", sa.Column("country", sa.String(length=2), nullable=True))
    op.add_column("subjects", sa.Column("minor_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("consent_states", sa.Column("property_key", sa.String(length=64), nullable=True))
    op.add_column("consent_states", sa.Column("actor_type", sa.String(length=16), nullable=True))
    op.add_column("consent_states", sa.Column("destinations", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("consent_states", "destinations")
    op.drop_column("consent_states", "actor_type")
    op.drop_column("consent_states", "property_key")
    op.drop_column("subjects", "minor_until")
    op.drop_column("subjects", "country")
    op.drop_table("notices")
