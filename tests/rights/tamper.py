"""Change ledger rows the way only a database superuser could: around the append-only triggers."""
from __future__ import annotations

from sqlalchemy import text

from consent_service.extensions import db


def as_superuser(*statements: str, **params) -> None:
    """Run statements with the triggers out of the way (PostgreSQL: replica role; SQLite: dropped and recreated)."""
    db.session.rollback()  # the test's own session must not hold SQLite's write lock meanwhile
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                connection.execute(text(statement), params)
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'consent_events'")
        ).all()
        for name, _ in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            connection.execute(text(statement), params)
        for _, sql in triggers:
            connection.execute(text(sql))
