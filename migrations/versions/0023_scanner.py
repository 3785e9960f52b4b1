"""The compliance scanner: cookie declarations, scans with their stored assessment, their screenshots.

The banner shows a property's declared cookies from each process's snapshot, so every change to
cookie_declarations moves the generation like the watched tables of migrations 0008, 0009 and 0020.
Scans and screenshots are read per request and are not watched.

Revision ID: 0023_scanner
Revises: 0022_event_region
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0023_scanner"
down_revision = "0022_event_region"
branch_labels = None
depends_on = None

WATCHED = "cookie_declarations"
SQLITE_OPERATIONS = ("insert", "update", "delete")
# The same upsert as 0008's (kept here: a migration does not import another).
BUMP = (
    "INSERT INTO generations (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = generations.value + 1"
)


def upgrade():
    op.create_table('cookie_declarations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('property_id', sa.String(length=40), nullable=False),
    sa.Column('name_pattern', sa.String(length=200), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=True),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('retention', sa.String(length=100), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['property_id'], ['properties.id'], name=op.f('fk_cookie_declarations_property_id_properties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cookie_declarations')),
    sa.UniqueConstraint('property_id', 'name_pattern', 'domain', name=op.f('uq_cookie_declarations_property_id_name_pattern_domain'))
    )
    op.create_table('scans',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('property_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('urls', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('pages_done', sa.Integer(), nullable=False),
    sa.Column('pages_total', sa.Integer(), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['property_id'], ['properties.id'], name=op.f('fk_scans_property_id_properties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    op.create_index('ix_scans_property_id_created_at', 'scans', ['property_id', 'created_at'], unique=False)
    op.create_index('ix_scans_status_created_at', 'scans', ['status', 'created_at'], unique=False)
    op.create_table('scan_screenshots',
    sa.Column('scan_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], name=op.f('fk_scan_screenshots_scan_id_scans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scan_id', 'state', name=op.f('pk_scan_screenshots'))
    )
    if op.get_bind().dialect.name == "postgresql":
        # bump_generation() is 0008's.
        op.execute(
            f"CREATE TRIGGER bump_generation_{WATCHED} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {WATCHED} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_generation()"
        )
    else:
        for operation in SQLITE_OPERATIONS:
            op.execute(
                f"CREATE TRIGGER bump_generation_{WATCHED}_{operation} AFTER {operation.upper()} ON {WATCHED} "
                f"BEGIN {BUMP}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER bump_generation_{WATCHED} ON {WATCHED}")
    else:
        for operation in SQLITE_OPERATIONS:
            op.execute(f"DROP TRIGGER bump_generation_{WATCHED}_{operation}")
    op.drop_table('scan_screenshots')
    op.drop_index('ix_scans_status_created_at', table_name='scans')
    op.drop_index('ix_scans_property_id_created_at', table_name='scans')
    op.drop_table('scans')
    op.drop_table('cookie_declarations')
