"""Ledger evidence, round two: only the ledger's owner may open it, and retirements carry a seal.

On PostgreSQL the append-only trigger honoured `consent.maintenance` from anyone: a role granted
UPDATE or DELETE could set it and rewrite or delete events. Now the setting only states intent;
the trigger lets a change through only for a member of the table owner's role (the role that runs
the migrations and the service; a superuser too, who could disable the trigger anyway). Another
role with UPDATE/DELETE granted stays append-only, and one granted TRUNCATE (which fires no row
trigger) is refused by a statement trigger that admits the owner's role only. SQLite has no roles: its evidence rests on the
database file's permissions, and on checkpoints kept elsewhere (`flask ledger checkpoint`).

retired_chains gains `seal`, the service's signature over the retirement (ledger/seals.py).

Revision ID: 0015_ledger_evidence
Revises: 0013_console_sessions
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_ledger_evidence"
down_revision = "0013_console_sessions"
branch_labels = None
depends_on = None

APPEND_ONLY = "consent_events is append-only"
_CHANGES = f"""
     IF TG_OP = 'DELETE' THEN
       RETURN OLD;
     END IF;
     IF (to_jsonb(NEW) - 'actor_id' - 'evidence') IS DISTINCT FROM (to_jsonb(OLD) - 'actor_id' - 'evidence') THEN
       RAISE EXCEPTION '{APPEND_ONLY}: only personal fields may be pseudonymized';
     END IF;
     RETURN NEW;
   END $$"""
OWNER_ONLY_FUNCTION = f"""CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF coalesce(pg_catalog.current_setting('consent.maintenance', true), '') <> 'on'
        OR NOT pg_catalog.pg_has_role(
          current_user, (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
       RAISE EXCEPTION '{APPEND_ONLY}';
     END IF;{_CHANGES}"""
SETTING_ONLY_FUNCTION = f"""CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF coalesce(current_setting('consent.maintenance', true), '') <> 'on' THEN
       RAISE EXCEPTION '{APPEND_ONLY}';
     END IF;{_CHANGES}"""

OWNER_ONLY_TRUNCATE = f"""CREATE FUNCTION consent_events_owner_only_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NOT pg_catalog.pg_has_role(
          current_user, (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
       RAISE EXCEPTION '{APPEND_ONLY}';
     END IF;
     RETURN NULL;
   END $$"""


def upgrade():
    op.add_column("retired_chains", sa.Column("seal", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OWNER_ONLY_FUNCTION)
        op.execute(OWNER_ONLY_TRUNCATE)
        op.execute("CREATE TRIGGER consent_events_owner_only_truncate BEFORE TRUNCATE ON consent_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION consent_events_owner_only_truncate()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_events_owner_only_truncate ON consent_events")
        op.execute("DROP FUNCTION consent_events_owner_only_truncate()")
        op.execute(SETTING_ONLY_FUNCTION)
    op.drop_column("retired_chains", "seal")
