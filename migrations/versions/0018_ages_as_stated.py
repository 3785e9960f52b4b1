"""Ages as stated: subjects gain `born_by`, read per check for the check's jurisdiction.

`minor_until` fixed a subject's minority to the age of consent of the country where the age was
stated. `born_by` keeps what was stated instead: the latest birth date the age allows (the age
taken back from when it was stated), from which each check reads a lower bound of the age. Existing
subjects are backfilled from their latest event that stated an age (read, never rewritten);
erased subjects stay without one. `minor_until` stays, no longer written nor read.

Revision ID: 0018_ages_as_stated
Revises: 0017_suppression_keeps_refusals
Create Date: 2026-12-04
"""
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "0018_ages_as_stated"
down_revision = "0017_suppression_keeps_refusals"
branch_labels = None
depends_on = None

BATCH = 1000


def _born_by(age, stated_at):
    """subjects/ages.py born_by, as of this migration."""
    year = stated_at.year - age
    try:
        return stated_at.replace(year=year)
    except ValueError:
        return stated_at.replace(year=year, day=28)


def upgrade():
    op.add_column("subjects", sa.Column("born_by", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    subjects = sa.table("subjects", sa.column("id"), sa.column("erased_at"),
                        sa.column("born_by", sa.DateTime(timezone=True)))
    events = sa.table("consent_events", sa.column("subject_id"), sa.column("revision"), sa.column("age"),
                      sa.column("recorded_at", sa.DateTime(timezone=True)))
    latest = (
        sa.select(events.c.subject_id, sa.func.max(events.c.revision).label("revision"))
        .where(events.c.age.is_not(None)).group_by(events.c.subject_id).subquery()
    )
    stated = connection.execute(
        sa.select(events.c.subject_id, events.c.age, events.c.recorded_at)
        .join(latest, sa.and_(latest.c.subject_id == events.c.subject_id, latest.c.revision == events.c.revision))
        .join(subjects, subjects.c.id == events.c.subject_id)
        .where(subjects.c.erased_at.is_(None))
    ).all()
    sqlite = connection.dialect.name == "sqlite"
    rows = []
    for subject_id, age, recorded_at in stated:
        if recorded_at.tzinfo is not None:
            recorded_at = recorded_at.astimezone(timezone.utc)
            recorded_at = recorded_at.replace(tzinfo=None) if sqlite else recorded_at
        rows.append({"b_id": subject_id, "b_born_by": _born_by(age, recorded_at)})
    statement = subjects.update().where(subjects.c.id == sa.bindparam("b_id")).values(born_by=sa.bindparam("b_born_by"))
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start:start + BATCH])


def downgrade():
    op.drop_column("subjects", "born_by")
