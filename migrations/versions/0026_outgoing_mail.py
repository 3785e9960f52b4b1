"""Outgoing mail (issue 25): the outbox the mailer (`flask mail run`) sends over SMTP_URL.

A row lives while its mail is on its way: deleted once sent, kept without address or body once failed.

Revision ID: 0026_outgoing_mail
Revises: 0025_privacy_requests
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0026_outgoing_mail"
down_revision = "0025_privacy_requests"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mails',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('to', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mails'))
    )
    op.create_index('ix_outgoing_mails_status_next_attempt_at', 'outgoing_mails', ['status', 'next_attempt_at'])


def downgrade():
    op.drop_index('ix_outgoing_mails_status_next_attempt_at', table_name='outgoing_mails')
    op.drop_table('outgoing_mails')
