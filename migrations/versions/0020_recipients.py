"""Recipients of transfers and their safeguards (DPF certification, SCC signed date, BCR).

Checks read recipients from each process's snapshot, so every change to the table moves the
generation like the watched tables of migrations 0008 and 0009: a recipient that loses its
certification answers so on the next check, in every process.

Revision ID: 0020_recipients
Revises: 0018_ages_as_stated
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_recipients"
down_revision = "0018_ages_as_stated"
branch_labels = None
depends_on = None

TABLE = "recipients"
SQLITE_OPERATIONS = ("insert", "update", "delete")
# The same upsert as 0008's (kept here: a migration does not import another).
BUMP = (
    "INSERT INTO generations (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = generations.value + 1"
)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("dpf_certified", sa.Boolean(), nullable=False),
        sa.Column("scc", sa.Date(), nullable=True),
        sa.Column("bcr", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # bump_generation() is 0008's.
        op.execute(
            f"CREATE TRIGGER bump_generation_{TABLE} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_generation()"
        )
    else:
        for operation in SQLITE_OPERATIONS:
            op.execute(
                f"CREATE TRIGGER bump_generation_{TABLE}_{operation} AFTER {operation.upper()} ON {TABLE} "
                f"BEGIN {BUMP}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER bump_generation_{TABLE} ON {TABLE}")
    else:
        for operation in SQLITE_OPERATIONS:
            op.execute(f"DROP TRIGGER bump_generation_{TABLE}_{operation}")
    op.drop_table(TABLE)
