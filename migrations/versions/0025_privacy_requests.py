"""Privacy requests (issue 25): the requests, their append-only steps, and the operator's systems' reports.

Nothing here is shown by the banner, so no table is watched by the generation triggers.

Revision ID: 0025_privacy_requests
Revises: 0024_frameworks
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_privacy_requests"
down_revision = "0024_frameworks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('property_key', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('verification', sa.String(length=16), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=255), nullable=False),
    sa.Column('contact', sa.String(length=320), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('region', sa.String(length=6), nullable=True),
    sa.Column('law', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('agent', sa.JSON(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=1000), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests'))
    )
    op.create_index('ix_privacy_requests_status_due_at', 'privacy_requests', ['status', 'due_at'], unique=False)
    op.create_table('privacy_request_steps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_requests.id'], name=op.f('fk_privacy_request_steps_request_id_privacy_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request_steps'))
    )
    op.create_index('ix_privacy_request_steps_request_id_id', 'privacy_request_steps', ['request_id', 'id'], unique=False)
    op.create_table('privacy_request_systems',
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_requests.id'], name=op.f('fk_privacy_request_systems_request_id_privacy_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'name', name=op.f('pk_privacy_request_systems'))
    )


def downgrade():
    op.drop_table('privacy_request_systems')
    op.drop_index('ix_privacy_request_steps_request_id_id', table_name='privacy_request_steps')
    op.drop_table('privacy_request_steps')
    op.drop_index('ix_privacy_requests_status_due_at', table_name='privacy_requests')
    op.drop_table('privacy_requests')
