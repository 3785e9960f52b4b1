"""Initial schema: purposes (seeded), subjects, the append-only consent ledger, state, keys.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The built-in catalogue as it was at this revision; later changes get their own migration.
BUILT_IN_PURPOSES = [
    ("necessary", "Strictly necessary", "Cookies the site cannot work without, such as security and load balancing.", "cookie", "legitimate_interest", False, "granted", "granted"),
    ("preferences", "Preferences", "Remember choices such as language and region.", "cookie", "consent", True, "denied", "granted"),
    ("analytics", "Analytics", "An ID number in a cookie to measure use and improve navigation.", "cookie", "consent", True, "denied", "granted"),
    ("advertising", "Advertising", "Cookies that personalize and measure advertising, including sale or sharing.", "cookie", "consent", True, "denied", "granted"),
    ("marketing", "Marketing communications", "News and offers by email, phone or messaging.", "communication", "consent", True, "denied", "granted"),
    ("service_notices", "Service notices", "Technical notices such as planned maintenance; they cannot be turned off.", "communication", "contract", False, "granted", "granted"),
    ("recording", "Call and video recording", "Recording of calls and video sessions; without approval nothing is recorded.", "processing", "consent", True, "denied", "denied"),
    ("cross_border_transfer", "Transfer outside your region", "Transfer of personal data to a country outside the subject's region.", "processing", "consent", True, "denied", "denied"),
    ("automated_decisions", "Automated decisions", "Decisions based solely on automated processing.", "processing", "consent", True, "denied", "denied"),
]

# The ledger is evidence: ordinary paths can never rewrite or remove an event.
APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
       BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END""",
    """CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
       BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END""",
]
APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$""",
    """CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
       FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()""",
]


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    op.create_table('purposes',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('legal_basis', sa.String(length=32), nullable=False),
    sa.Column('refusable', sa.Boolean(), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.Column('defaults', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_purposes'))
    )
    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('private_key_encrypted', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    op.create_table('subjects',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('kind', 'external_id', name=op.f('uq_subjects_kind_external_id'))
    )
    op.create_table('consent_events',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', BIG_ID, nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('notice_version', sa.String(length=64), nullable=False),
    sa.Column('regime', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('destination_country', sa.String(length=2), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('property_key', sa.String(length=64), nullable=True),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=255), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['purpose'], ['purposes.key'], name=op.f('fk_consent_events_purpose_purposes')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_consent_events_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_events')),
    sa.UniqueConstraint('subject_id', 'revision', name=op.f('uq_consent_events_subject_id_revision'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_subject_purpose_revision', ['subject_id', 'purpose', 'revision'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('api_key_id', BIG_ID, nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_idempotency_records_api_key_id_api_keys')),
    sa.PrimaryKeyConstraint('api_key_id', 'key', name=op.f('pk_idempotency_records'))
    )
    op.create_table('consent_states',
    sa.Column('subject_id', BIG_ID, nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('notice_version', sa.String(length=64), nullable=False),
    sa.Column('regime', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['consent_events.id'], name=op.f('fk_consent_states_event_id_consent_events')),
    sa.ForeignKeyConstraint(['purpose'], ['purposes.key'], name=op.f('fk_consent_states_purpose_purposes')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_consent_states_subject_id_subjects')),
    sa.PrimaryKeyConstraint('subject_id', 'purpose', name=op.f('pk_consent_states'))
    )

    purposes = sa.table(
        "purposes",
        sa.column("key", sa.String), sa.column("name", sa.String), sa.column("description", sa.Text),
        sa.column("category", sa.String), sa.column("legal_basis", sa.String), sa.column("refusable", sa.Boolean),
        sa.column("built_in", sa.Boolean), sa.column("defaults", sa.JSON), sa.column("created_at", sa.DateTime(timezone=True)),
    )
    created = datetime(2026, 11, 25, tzinfo=timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        created = created.replace(tzinfo=None)  # the application's UTC type stores naive UTC on SQLite
    op.bulk_insert(purposes, [
        {"key": key, "name": name, "description": description, "category": category, "legal_basis": basis,
         "refusable": refusable, "built_in": True, "defaults": {"opt_in": opt_in, "opt_out": opt_out},
         "created_at": created}
        for key, name, description, category, basis, refusable, opt_in, opt_out in BUILT_IN_PURPOSES
    ])
    statements = APPEND_ONLY_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else APPEND_ONLY_SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_events_append_only ON consent_events")
        op.execute("DROP FUNCTION consent_events_append_only()")
    else:
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute("DROP TRIGGER consent_events_no_delete")
    op.drop_table('consent_states')
    op.drop_table('idempotency_records')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_events_subject_purpose_revision')

    op.drop_table('consent_events')
    op.drop_table('subjects')
    op.drop_table('signing_keys')
    op.drop_table('purposes')
    op.drop_table('api_keys')
