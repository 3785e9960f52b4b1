"""The consent stores, one per database (consents/store.py says what a store does): chosen once, from the engine."""

from __future__ import annotations

from sqlalchemy import Engine

from consent_service.consents.store import ConsentStore, Guards


def for_engine(engine: Engine, guards: Guards) -> ConsentStore:
    """The store for the engine's database (each imported here: a process on SQLite never loads psycopg)."""
    if engine.dialect.name == "postgresql":
        from consent_service.stores.postgres import PostgresStore

        return PostgresStore(guards)
    if engine.dialect.name == "sqlite":
        from consent_service.stores.sqlite import SqliteStore

        return SqliteStore(guards)
    raise ValueError(f"no consent store for {engine.dialect.name}")
