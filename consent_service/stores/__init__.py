"""The consent stores, one per database (consents/store.py says what a store does): chosen once, from the engine."""

from __future__ import annotations

from sqlalchemy import Engine

from consent_service.consents.store import ConsentStore, Guards
from consent_service.stores.postgres import PostgresStore
from consent_service.stores.sqlite import SqliteStore


def for_engine(engine: Engine, guards: Guards) -> ConsentStore:
    """The store for the engine's database."""
    if engine.dialect.name == "postgresql":
        return PostgresStore(guards)
    if engine.dialect.name == "sqlite":
        return SqliteStore(guards)
    raise ValueError(f"no consent store for {engine.dialect.name}")
