"""Frameworks (issue 21): the Global Vendor Lists kept (tcf_vendor_lists), and each property's enabled
frameworks and TCF vendors.

The banner's config carries the current vendor list from each process's snapshot, so every change to
tcf_vendor_lists moves the generation like the watched tables of migrations 0008, 0009, 0020 and 0023
(properties is watched since 0008). The new property columns default to empty lists: existing properties
enable no framework.

Revision ID: 0024_frameworks
Revises: 0023_scanner
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_frameworks"
down_revision = "0023_scanner"
branch_labels = None
depends_on = None

WATCHED = "tcf_vendor_lists"
SQLITE_OPERATIONS = ("insert", "update", "delete")
# The same upsert as 0008's (kept here: a migration does not import another).
BUMP = (
    "INSERT INTO generations (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = generations.value + 1"
)


def upgrade():
    op.create_table('tcf_vendor_lists',
    sa.Column('vendor_list_version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tcf_policy_version', sa.Integer(), nullable=False),
    sa.Column('gvl_specification_version', sa.Integer(), nullable=False),
    sa.Column('last_updated', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('vendor_list_version', name=op.f('pk_tcf_vendor_lists'))
    )
    # Plain ADD and DROP COLUMN (SQLite 3.35+): a batch copy of properties would drop its generation triggers.
    op.add_column('properties', sa.Column('frameworks', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('properties', sa.Column('tcf_vendors', sa.JSON(), server_default='[]', nullable=False))
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
    op.drop_column('properties', 'tcf_vendors')
    op.drop_column('properties', 'frameworks')
    op.drop_table('tcf_vendor_lists')
