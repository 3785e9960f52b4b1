"""Evidence and data subject rights: the hash chain, links, restriction, erasure, issued tokens.

Columns are added to consent_events with plain ADD COLUMN: a batch copy of the table would drop
its append-only triggers on SQLite. The triggers are replaced so that erasure and retention, and
only they, can change the ledger (see consents/maintenance.py).

Revision ID: 0005_evidence
Revises: 0004_notices_rules
Create Date: 2026-11-25
"""
import json
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from consent_service.consents import chain

revision = "0005_evidence"
down_revision = "0004_notices_rules"
branch_labels = None
depends_on = None

APPEND_ONLY = "consent_events is append-only"
# Every column but the personal ones: never updated, not even by erasure.
PROOF_COLUMNS = (
    "id, subject_id, revision, purpose, decision, method, notice_version, regime, country, destination_country, "
    "age, property_key, language, banner_version, actor_type, recorded_at, personal_digest, prev_hash, hash"
)
OLD_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
       BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
       BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]
NEW_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER consent_events_no_update BEFORE UPDATE OF {PROOF_COLUMNS} ON consent_events
       BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER consent_events_personal_update BEFORE UPDATE OF actor_id, evidence ON consent_events
       WHEN NOT EXISTS (SELECT 1 FROM ledger_maintenance)
       BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
       WHEN NOT EXISTS (SELECT 1 FROM ledger_maintenance)
       BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]
OLD_POSTGRES_FUNCTION = f"""CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"""
# consent.maintenance is set with SET LOCAL (set_config(..., true)), so it ends with the transaction.
NEW_POSTGRES_FUNCTION = f"""CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF coalesce(current_setting('consent.maintenance', true), '') <> 'on' THEN
       RAISE EXCEPTION '{APPEND_ONLY}';
     END IF;
     IF TG_OP = 'DELETE' THEN
       RETURN OLD;
     END IF;
     IF (to_jsonb(NEW) - 'actor_id' - 'evidence') IS DISTINCT FROM (to_jsonb(OLD) - 'actor_id' - 'evidence') THEN
       RAISE EXCEPTION '{APPEND_ONLY}: only personal fields may be pseudonymized';
     END IF;
     RETURN NEW;
   END $$"""


def upgrade():
    op.create_table(
        "ledger_maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_maintenance")),
    )
    op.create_table(
        "retired_chains",
        sa.Column("subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_retired_chains")),
    )
    op.create_table(
        "subject_links",
        sa.Column("visitor_subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["visitor_subject_id"], ["subjects.id"], name=op.f("fk_subject_links_visitor_subject_id_subjects")),
        sa.ForeignKeyConstraint(["customer_subject_id"], ["subjects.id"], name=op.f("fk_subject_links_customer_subject_id_subjects")),
        sa.PrimaryKeyConstraint("visitor_subject_id", name=op.f("pk_subject_links")),
    )
    op.create_index(op.f("ix_subject_links_customer_subject_id"), "subject_links", ["customer_subject_id"], unique=False)
    op.create_table(
        "suppressions",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "pseudonym", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "issued_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issued_for", sa.String(length=16), nullable=False),
        sa.Column("property_key", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_issued_tokens_subject_id_subjects")),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_issued_tokens")),
    )
    op.create_index(op.f("ix_issued_tokens_subject_id"), "issued_tokens", ["subject_id"], unique=False)

    op.add_column("subjects", sa.Column("evidence_key", sa.String(length=64), nullable=True))
    op.add_column("subjects", sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("subjects", sa.Column("restricted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("subjects", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    for column in ("personal_digest", "prev_hash", "hash"):
        op.add_column("consent_events", sa.Column(column, sa.String(length=64), nullable=False, server_default=""))

    postgres = op.get_bind().dialect.name == "postgresql"
    # Sealing writes the new proof columns, which even maintenance may never change: the triggers
    # are off for this step only, inside the migration's transaction.
    if postgres:
        op.execute(NEW_POSTGRES_FUNCTION)
        op.execute("ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only")
    else:
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute("DROP TRIGGER consent_events_no_delete")
    _seal_existing_ledger()
    if postgres:
        op.execute("ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only")
    else:
        for statement in NEW_SQLITE_TRIGGERS:
            op.execute(statement)


def _seal_existing_ledger() -> None:
    """Give every existing subject an evidence key and chain its existing events, in revision order."""
    connection = op.get_bind()
    subjects = sa.table("subjects", sa.column("id"), sa.column("evidence_key"))
    events = sa.table("consent_events", *(sa.column(name) for name in (
        "id", "subject_id", "revision", "purpose", "decision", "method", "notice_version", "regime", "country",
        "destination_country", "age", "property_key", "language", "banner_version", "actor_type", "actor_id",
        "evidence", "recorded_at", "personal_digest", "prev_hash", "hash",
    )))
    keys = {}
    for (subject_id,) in connection.execute(sa.select(subjects.c.id)).all():
        keys[subject_id] = secrets.token_hex(32)
        connection.execute(subjects.update().where(subjects.c.id == subject_id).values(evidence_key=keys[subject_id]))
    previous: dict[int, str] = {}
    rows = connection.execute(sa.select(events).order_by(events.c.subject_id, events.c.revision)).mappings().all()
    for row in rows:
        event = _Row(dict(row))
        if isinstance(event.evidence, str):
            event.evidence = json.loads(event.evidence)
        if isinstance(event.recorded_at, str):
            event.recorded_at = datetime.fromisoformat(event.recorded_at)
        if event.recorded_at.tzinfo is None:
            event.recorded_at = event.recorded_at.replace(tzinfo=timezone.utc)
        chain.seal(event, prev_hash=previous.get(event.subject_id, chain.GENESIS), evidence_key=keys[event.subject_id])
        previous[event.subject_id] = event.hash
        connection.execute(
            events.update()
            .where(events.c.id == event.id)
            .values(personal_digest=event.personal_digest, prev_hash=event.prev_hash, hash=event.hash)
        )


class _Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(OLD_POSTGRES_FUNCTION)
    else:
        for name in ("consent_events_no_update", "consent_events_personal_update", "consent_events_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
    # Plain DROP COLUMN (SQLite 3.35+), like the ADD: a batch copy would lose the triggers.
    for column in ("hash", "prev_hash", "personal_digest"):
        op.drop_column("consent_events", column)
    for column in ("erased_at", "restricted_at", "restricted", "evidence_key"):
        op.drop_column("subjects", column)
    op.drop_index(op.f("ix_issued_tokens_subject_id"), table_name="issued_tokens")
    op.drop_table("issued_tokens")
    op.drop_table("suppressions")
    op.drop_index(op.f("ix_subject_links_customer_subject_id"), table_name="subject_links")
    op.drop_table("subject_links")
    op.drop_table("retired_chains")
    op.drop_table("ledger_maintenance")
    if op.get_bind().dialect.name != "postgresql":
        for statement in OLD_SQLITE_TRIGGERS:
            op.execute(statement)
