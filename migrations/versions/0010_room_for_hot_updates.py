"""Leave room in the pages of the two tables every consent write updates.

Each write updates its subject's row (revision, updated_at) and the states of the purposes it
decides, never their indexed columns. PostgreSQL can then keep the new row version on the same
page without touching any index (a HOT update), but only if the page has room: at the default
fillfactor of 100 a loaded or long-unchanged page has none, and the update writes a tuple on
another page plus an entry in every index of the table. Pages filled to 80% leave that room.
Rows written from now on follow it; existing pages gain it as they are rewritten (VACUUM FULL,
or pg_repack, to apply it to a large table at once). SQLite has no such setting.

Revision ID: 0010_room_for_hot_updates
Revises: 0009_watch_signing_keys
Create Date: 2026-12-03
"""
from alembic import op

revision = "0010_room_for_hot_updates"
down_revision = "0009_watch_signing_keys"
branch_labels = None
depends_on = None

TABLES = ("subjects", "consent_states")
FILLFACTOR = 80


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
