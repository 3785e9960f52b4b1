"""A pooled connection that sat idle is tested on checkout: a dead one is replaced, a live one comes back clean."""
from __future__ import annotations

import psycopg
from sqlalchemy import create_engine, text

from consent_service.database import ping_when_idle


def _engine(postgres_url: str, idle_seconds: float = 0):
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    ping_when_idle(engine, idle_seconds=idle_seconds)  # 0: every checkout counts as after an idle spell
    return engine


def _terminate(postgres_url: str, backend: int) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,))  # waits until it is gone


def test_a_connection_the_server_dropped_is_replaced_before_use(postgres_url):
    engine = _engine(postgres_url)
    try:
        with engine.connect() as connection:
            dropped = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(postgres_url, dropped)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped
    finally:
        engine.dispose()


def test_a_connection_closed_a_moment_ago_is_replaced_though_it_was_not_idle(postgres_url):
    # A worker whose connections were cut while it served nothing: the server's goodbye (or the end
    # of the stream) waits on the socket, and the next checkout sees it without a round trip.
    engine = _engine(postgres_url, idle_seconds=3600)
    try:
        with engine.connect() as connection:
            dropped = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(postgres_url, dropped)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped
    finally:
        engine.dispose()


def test_the_ping_leaves_no_transaction_open(postgres_url):
    engine = _engine(postgres_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        # A read-only request asks for autocommit, which a connection inside a transaction refuses.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            assert connection.connection.dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        engine.dispose()
