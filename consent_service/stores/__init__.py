"""The consent stores, one per database (consents/store.py says what a store does): chosen once, from the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from consent_service.consents.store import ConsentStore, Guards

if TYPE_CHECKING:
    from consent_service.stores.replicas import ReplicaSet


def for_engine(engine: Engine, guards: Guards) -> ConsentStore:
    """The store for the engine's database (each imported here: a process on SQLite never loads psycopg)."""
    if engine.dialect.name == "postgresql":
        from consent_service.stores.postgres import PostgresStore

        return PostgresStore(guards)
    if engine.dialect.name == "sqlite":
        from consent_service.stores.sqlite import SqliteStore

        return SqliteStore(guards)
    raise ValueError(f"no consent store for {engine.dialect.name}")


def with_replicas(engine: Engine, guards: Guards, replicas: ReplicaSet) -> ConsentStore:
    """The store of a PostgreSQL primary whose checks and state reads may answer from `replicas` (each replica's
    engine has a store of its own, for the reads that run whole on a replica: stores/reads.py)."""
    if engine.dialect.name != "postgresql":
        raise ValueError(f"read replicas need a PostgreSQL primary, not {engine.dialect.name}")
    from consent_service.stores.postgres import PostgresStore
    from consent_service.stores.routed import RoutedStore

    return RoutedStore(PostgresStore(guards), replicas, guards)
