"""A generation counter bumped by triggers whenever keys, purposes, notices or properties change.

Every worker keeps those rows in memory and reads the counter with the data of each request, so
a change made by any process (another worker, another instance, the CLI, plain SQL) is seen on
the next request.

Revision ID: 0008_generations
Revises: 0007_admin_console
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_generations"
down_revision = "0007_admin_console"
branch_labels = None
depends_on = None

WATCHED_TABLES = ("api_keys", "purposes", "notices", "properties")
SQLITE_OPERATIONS = ("insert", "update", "delete")
# An upsert, so the counter survives its row being deleted (tests truncate every table).
BUMP = (
    "INSERT INTO generations (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = generations.value + 1"
)


def upgrade():
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
    )
    op.execute("INSERT INTO generations (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE TRIGGER bump_generation_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_generation()"
            )
    else:
        for table in WATCHED_TABLES:
            for operation in SQLITE_OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER bump_generation_{table}_{operation} AFTER {operation.upper()} ON {table} "
                    f"BEGIN {BUMP}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER bump_generation_{table} ON {table}")
        op.execute("DROP FUNCTION bump_generation()")
    else:
        for table in WATCHED_TABLES:
            for operation in SQLITE_OPERATIONS:
                op.execute(f"DROP TRIGGER bump_generation_{table}_{operation}")
    op.drop_table("generations")
