"""Extension objects, created here unbound and bound to an app in create_app (flask-smorest's Api: openapi.py;
Flask-Migrate: schema_migrations.py)."""

from __future__ import annotations

from typing import ClassVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names make Alembic migrations reproducible on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The models' base: plain SQLAlchemy 2.0, so the type checker sees every model and column."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model maps one table (none maps a join or a select), so its __table__ is a Table, with insert() and name.
    __table__: ClassVar[Table]


# Error messages never carry the statement's parameters (evidence keys, subject ids, emails): they end up in logs.
db = SQLAlchemy(metadata=Base.metadata, engine_options={"hide_parameters": True})
