"""The consent stores, one per database (consents/store.py says what a store does): chosen once, from the engine."""

from __future__ import annotations

from collections.abc import Sequence

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


def with_replicas(
    engine: Engine,
    guards: Guards,
    replica_engines: Sequence[Engine],
    *,
    max_lag_ms: int,
    check_interval_ms: int,
) -> ConsentStore:
    """The store of a PostgreSQL primary whose checks and state reads may answer from `replica_engines`."""
    if engine.dialect.name != "postgresql":
        raise ValueError(f"read replicas need a PostgreSQL primary, not {engine.dialect.name}")
    from consent_service.stores.postgres import PostgresStore
    from consent_service.stores.replicas import ReplicaSet
    from consent_service.stores.routed import RoutedStore

    replicas = ReplicaSet(replica_engines, max_lag_ms=max_lag_ms, check_interval_ms=check_interval_ms)
    return RoutedStore(PostgresStore(guards), replicas, guards)
