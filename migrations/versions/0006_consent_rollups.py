"""Consent-rate reports: a per-day rollup of the ledger and of banner choices.

The rollup is filled from the existing ledger here, in SQL frozen with this revision (the same
counting as reports.service.rebuild_rollups, which later revisions may change).

Revision ID: 0006_consent_rollups
Revises: 0005_evidence
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_consent_rollups"
down_revision = "0005_evidence"
branch_labels = None
depends_on = None

DAY = {"postgresql": "CAST(timezone('UTC', recorded_at) AS DATE)", "sqlite": "date(recorded_at)"}
# Events per day and dimensions; banner choices once per subject, instant and method.
FILL = """
INSERT INTO consent_rollups (day, kind, property_key, purpose, decision, method, country, language, regime, shard, count)
SELECT {day}, 'event', COALESCE(property_key, ''), purpose, decision, method, COALESCE(country, ''),
       COALESCE(language, ''), regime, subject_id % 8, COUNT(*)
FROM consent_events
GROUP BY {day}, COALESCE(property_key, ''), purpose, decision, method, COALESCE(country, ''), COALESCE(language, ''),
         regime, subject_id % 8
UNION ALL
SELECT day, 'choice', property_key, '', '', method, country, language, regime, shard, COUNT(*)
FROM (
    SELECT DISTINCT subject_id, recorded_at, method, {day} AS day, COALESCE(property_key, '') AS property_key,
           COALESCE(country, '') AS country, COALESCE(language, '') AS language, regime, subject_id % 8 AS shard
    FROM consent_events
    WHERE method IN ('banner_accept_all', 'banner_reject_all', 'banner_custom')
) AS choices
GROUP BY day, property_key, method, country, language, regime, shard
"""


def upgrade():
    op.create_table(
        "consent_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("property_key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "kind", "property_key", "purpose", "decision", "method", "country", "language", "regime", "shard",
            name=op.f("pk_consent_rollups"),
        ),
    )
    op.execute(FILL.format(day=DAY[op.get_bind().dialect.name]))


def downgrade():
    op.drop_table("consent_rollups")
