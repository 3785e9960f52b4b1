"""The generation also counts changes to signing keys.

The banner verifies a returning visitor's token with the public keys held in each process's
snapshot, so a key created, retired or deleted anywhere (another instance, the CLI, plain SQL)
must move the generation like the other watched tables of migration 0008.

Revision ID: 0009_watch_signing_keys
Revises: 0008_generations
Create Date: 2026-11-25
"""
from alembic import op

revision = "0009_watch_signing_keys"
down_revision = "0008_generations"
branch_labels = None
depends_on = None

TABLE = "signing_keys"
SQLITE_OPERATIONS = ("insert", "update", "delete")
# The same upsert as 0008's (kept here: a migration does not import another).
BUMP = (
    "INSERT INTO generations (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = generations.value + 1"
)


def upgrade():
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
    # A process that loaded its snapshot before these triggers existed reloads it.
    op.execute(BUMP)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER bump_generation_{TABLE} ON {TABLE}")
    else:
        for operation in SQLITE_OPERATIONS:
            op.execute(f"DROP TRIGGER bump_generation_{TABLE}_{operation}")
