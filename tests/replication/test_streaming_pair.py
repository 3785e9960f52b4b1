"""The test-owned streaming replica itself: it replays the primary's writes, and replay can be paused."""

from __future__ import annotations

import psycopg

from tests.streaming_replica import StreamingPair


def _count(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM marks").fetchone()
        assert row is not None
        return row[0]


def test_the_replica_replays_writes_and_replay_can_be_paused(streaming_pair: StreamingPair) -> None:
    primary_url, replica_url = streaming_pair.create_database("replication_selftest")
    with psycopg.connect(primary_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE marks (id int PRIMARY KEY)")
        conn.execute("INSERT INTO marks VALUES (1)")
    streaming_pair.wait_replayed()
    assert _count(replica_url) == 1

    streaming_pair.pause_replay()
    try:
        with psycopg.connect(primary_url, autocommit=True) as conn:
            conn.execute("INSERT INTO marks VALUES (2)")
        assert _count(primary_url) == 2
        assert _count(replica_url) == 1, "a paused replica must not show the new row"
    finally:
        streaming_pair.resume_replay()
    streaming_pair.wait_replayed()
    assert _count(replica_url) == 2


def test_the_replica_can_be_stopped_and_started(streaming_pair: StreamingPair) -> None:
    streaming_pair.replica.stop()
    assert not streaming_pair.replica.running()
    streaming_pair.replica.start()
    streaming_pair.wait_replayed()
    assert streaming_pair.replica.running()
