"""Properties, the banner versions they served, and the language and banner of each event.

Revision ID: 0002_properties_banner
Revises: 0001_initial
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_properties_banner"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('properties',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('publishable_key', sa.String(length=64), nullable=False),
    sa.Column('allowed_origins', sa.JSON(), nullable=False),
    sa.Column('default_language', sa.String(length=8), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('notice_version', sa.String(length=64), nullable=False),
    sa.Column('notice_url', sa.String(length=500), nullable=False),
    sa.Column('cookie_domain', sa.String(length=255), nullable=True),
    sa.Column('accept_lifetime_days', sa.Integer(), nullable=False),
    sa.Column('reject_lifetime_days', sa.Integer(), nullable=False),
    sa.Column('gpc_honoured', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_properties')),
    sa.UniqueConstraint('publishable_key', name=op.f('uq_properties_publishable_key'))
    )
    op.create_table('banner_versions',
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.Column('property_id', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('regime', sa.String(length=16), nullable=False),
    sa.Column('notice_version', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('first_served_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['property_id'], ['properties.id'], name=op.f('fk_banner_versions_property_id_properties')),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_banner_versions'))
    )
    # Plain ADD COLUMN (no batch copy) so SQLite keeps the ledger's append-only triggers.
    op.add_column("consent_events", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("consent_events", sa.Column("banner_version", sa.String(length=80), nullable=True))



def downgrade():
    op.drop_column("consent_events", "banner_version")
    op.drop_column("consent_events", "language")

    op.drop_table('banner_versions')
    op.drop_table('properties')
