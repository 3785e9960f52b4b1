"""The pure parts of read routing: the replica settings, whether a measured replica may answer, the primary's WAL
position sampled over time (fake positions, a stepped clock), whether what it read is new enough, and a replica or
a primary that cannot be reached measured once per interval and logged once."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.exc import OperationalError

from consent_service.config import ConfigError, Settings
from consent_service.consents.store import Found, SubjectFacts
from consent_service.stores.replicas import (
    Measure,
    Position,
    PrimaryPositions,
    ReplicaSet,
    Skip,
    lsn_text,
    primary_wal_position,
    verdict,
)
from consent_service.stores.routed import replayed
from tests.streaming_replica import free_loopback_port

PRIMARY = "postgresql://u@db.internal/consent"


def settings(tmp_path, **environ: str) -> Settings:
    return Settings.from_env({"SECRET_KEY": "s" * 40, **environ}, instance_path=str(tmp_path)).validated()


def test_replica_urls_are_read_comma_separated_as_database_urls(tmp_path):
    read = settings(tmp_path, DATABASE_URL=PRIMARY,
                    DATABASE_REPLICA_URLS=" postgres://u@r1/consent, ,postgresql://u@r2:5433/consent ")
    assert read.database_replica_urls == ("postgresql+psycopg://u@r1/consent", "postgresql+psycopg://u@r2:5433/consent")
    assert settings(tmp_path, DATABASE_URL=PRIMARY).database_replica_urls == ()
    assert settings(tmp_path, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS="").database_replica_urls == ()
    assert (read.replica_max_lag_ms, read.replica_check_interval_ms) == (1000, 1000)
    tuned = settings(tmp_path, DATABASE_URL=PRIMARY, REPLICA_MAX_LAG_MS="250", REPLICA_CHECK_INTERVAL_MS="100")
    assert (tuned.replica_max_lag_ms, tuned.replica_check_interval_ms) == (250, 100)


def test_replicas_need_a_postgresql_primary(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.*sqlite"):
        settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.db", DATABASE_REPLICA_URLS="postgresql://u@r1/c")


@pytest.mark.parametrize("replicas, message", [
    ("sqlite:///replica.db", "postgresql:// URLs of streaming standbys, got one starting 'sqlite'"),
    (PRIMARY, "lists DATABASE_URL itself"),
])
def test_a_replica_url_that_cannot_be_a_standby_is_refused(tmp_path, replicas, message):
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS=replicas)


@pytest.mark.parametrize("variable", ["REPLICA_MAX_LAG_MS", "REPLICA_CHECK_INTERVAL_MS"])
@pytest.mark.parametrize("raw", ["soon", "0", "-5"])
def test_bad_replica_timings_are_named(tmp_path, variable, raw):
    with pytest.raises(ConfigError, match=variable):
        settings(tmp_path, DATABASE_URL=PRIMARY, **{variable: raw})


def test_the_refusal_does_not_show_a_password(tmp_path):
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS="mysql://u:hunter2@r1/c")
    assert "hunter2" not in str(refused.value)


def standby(caught_up: bool, replay_age_ms: float | None, replayed_lsn: int | None = 5000) -> Measure:
    return Measure(in_recovery=True, caught_up=caught_up, replay_age_ms=replay_age_ms, replayed_lsn=replayed_lsn)


@pytest.mark.parametrize("measure, expected", [
    (None, Skip.DOWN),
    (Measure(in_recovery=False, caught_up=True, replay_age_ms=0.0, replayed_lsn=5000), Skip.NOT_STANDBY),
    # Caught up with all it received: used whatever the age, which grows while the primary is idle.
    (standby(True, 3_600_000.0), None),
    (standby(True, None), None),
    (standby(False, 999.0), None),
    (standby(False, 1000.0), None),
    (standby(False, 1000.5), Skip.LAGGING),
    # WAL waiting and nothing replayed yet: how far behind is unknown.
    (standby(False, None), Skip.LAGGING),
])
def test_the_verdict_on_a_replica_before_the_primary_is_known(measure, expected):
    assert verdict(measure, max_lag_ms=1000, primary_then=None) is expected


PRIMARY_THEN = Position(at=100.0, lsn=5000)


@pytest.mark.parametrize("measure, expected", [
    # Replayed what the primary had reached max_lag ago: fresh, even on an idle primary with an old last transaction.
    (standby(True, 3_600_000.0, replayed_lsn=5000), None),
    (standby(True, None, replayed_lsn=5001), None),
    # Caught up with all it received, yet below the primary: a lost stream, lagging whatever its own view says.
    (standby(True, 0.0, replayed_lsn=4999), Skip.LAGGING),
    (standby(True, None, replayed_lsn=None), Skip.LAGGING),
    # The age rule still holds beside the position: either one skips.
    (standby(False, 1000.5, replayed_lsn=6000), Skip.LAGGING),
    (standby(False, 10.0, replayed_lsn=6000), None),
    (Measure(in_recovery=False, caught_up=True, replay_age_ms=0.0, replayed_lsn=4000), Skip.NOT_STANDBY),
])
def test_the_verdict_against_the_position_the_primary_had_reached_max_lag_ago(measure, expected):
    assert verdict(measure, max_lag_ms=1000, primary_then=PRIMARY_THEN) is expected


def test_positions_read_as_postgresql_writes_them():
    assert lsn_text(0) == "0/0"
    assert lsn_text((0x1A << 32) + 0x3F00D8) == "1A/3F00D8"


def found(revision: int | None) -> Found:
    facts = None if revision is None else SubjectFacts(1, revision, None, None, False)
    return Found(facts, {}, None)


@pytest.mark.parametrize("revisions, wanted, expected", [
    ([3], None, True),
    ([3], [0], True),
    ([3], [3], True),
    ([3], [4], False),
    ([None], [0], True),  # an unknown subject asked without a revision
    ([None], [1], False),  # a subject the replica has not seen created
    ([5, 2], [5, 0], True),
    ([5, 2], [5, 3], False),
])
def test_a_replica_read_counts_only_if_every_subject_is_at_least_at_the_revision_named(revisions, wanted, expected):
    assert replayed([found(revision) for revision in revisions], wanted) is expected


class SteppedClock:
    def __init__(self) -> None:
        self.now = 100.0  # stepped by binary fractions, so the sums are exact

    def __call__(self) -> float:
        return self.now


def test_an_unreachable_replica_is_measured_once_per_interval_and_logged_once(caplog):
    # Nothing listens on the port: the connection is refused at once.
    engine = create_engine(f"postgresql+psycopg://u:secret-pw@127.0.0.1:{free_loopback_port()}/consent",
                           connect_args={"connect_timeout": 2})
    clock = SteppedClock()
    replicas = ReplicaSet([engine], primary_position=lambda: 0, max_lag_ms=1000, check_interval_ms=500, clock=clock)
    connects: list[float] = []
    event.listen(engine, "do_connect", lambda *args: connects.append(clock.now))
    try:
        with caplog.at_level(logging.INFO, logger="consent_service.stores.replicas"):
            assert replicas.choose() is Skip.DOWN
            clock.now += 0.375
            assert replicas.choose() is Skip.DOWN  # the last measure still holds: no new attempt
            clock.now += 0.125
            assert replicas.choose() is Skip.DOWN
        assert connects == [100.0, 100.5]
        lines = [record.getMessage() for record in caplog.records]
        assert len(lines) == 1 and "skipped (down)" in lines[0], lines
        assert "secret-pw" not in lines[0]
    finally:
        replicas.dispose()


class PrimaryWal:
    """The WAL position a primary reports, moved by the test; it may be made to fail as a lost connection does."""

    def __init__(self, lsn: int = 1000) -> None:
        self.lsn = lsn
        self.reads = 0
        self.failure: OperationalError | None = None

    def __call__(self) -> int:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return self.lsn


def sampled(primary: PrimaryWal, clock: SteppedClock) -> PrimaryPositions:
    return PrimaryPositions(primary, max_lag_ms=1000, check_interval_ms=250, clock=clock)


def test_the_position_compared_is_the_newest_the_primary_had_reached_at_least_max_lag_ago():
    clock, primary = SteppedClock(), PrimaryWal()
    positions = sampled(primary, clock)
    # Before any sample is max_lag old (process start): unknown, the replica's own view decides.
    assert positions.reached_by_max_lag() is None
    for _ in range(3):
        clock.now += 0.25
        primary.lsn += 100
        assert positions.reached_by_max_lag() is None
    clock.now += 0.25
    assert positions.reached_by_max_lag() == Position(100.0, 1000)
    # A replica that replayed that far answers; one below it lags, though it looks caught up with what it received.
    assert verdict(standby(True, None, replayed_lsn=1000), max_lag_ms=1000, primary_then=Position(100.0, 1000)) is None
    clock.now += 0.125
    primary.lsn += 100
    # Sampled at most once per interval: no new read, and the same position (the next one is not old enough yet).
    assert positions.reached_by_max_lag() == Position(100.0, 1000)
    assert primary.reads == 5
    clock.now += 0.125
    assert positions.reached_by_max_lag() == Position(100.25, 1100)
    assert primary.reads == 6


def test_samples_are_kept_only_as_long_as_max_lag_and_an_interval():
    clock, primary = SteppedClock(), PrimaryWal()
    positions = sampled(primary, clock)
    for _ in range(40):
        positions.reached_by_max_lag()
        clock.now += 0.25
        primary.lsn += 100
    # max_lag / interval samples younger than max_lag, and the newest one older.
    assert positions.kept() <= 1000 // 250 + 1
    assert positions.reached_by_max_lag() == Position(clock.now - 1.0, primary.lsn - 400)


def test_a_primary_that_cannot_be_sampled_leaves_the_replicas_own_view_and_is_logged_once(caplog):
    clock, primary = SteppedClock(), PrimaryWal()
    positions = sampled(primary, clock)
    with caplog.at_level(logging.INFO, logger="consent_service.stores.replicas"):
        positions.reached_by_max_lag()
        clock.now += 1.0
        assert positions.reached_by_max_lag() == Position(100.0, 1000)
        primary.failure = OperationalError("SELECT pg_current_wal_flush_lsn()", {}, OSError("connection refused"))
        for _ in range(4):
            clock.now += 0.25
            assert positions.reached_by_max_lag() is None
        assert primary.reads == 6  # still once per interval while failing
        primary.failure = None
        clock.now += 0.25
        # Sampled again: the samples from before the failure are still what the primary had reached then.
        assert positions.reached_by_max_lag() == Position(101.0, 1000)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "could not be sampled (OperationalError: connection refused)" in lines[0]
    assert "sampled again" in lines[1]


def test_reads_go_on_when_neither_the_primary_nor_the_replica_answers(caplog):
    # Nothing listens on either port: both connections are refused at once; no read raises.
    primary = create_engine(f"postgresql+psycopg://u@127.0.0.1:{free_loopback_port()}/consent",
                            connect_args={"connect_timeout": 2})
    replica = create_engine(f"postgresql+psycopg://u@127.0.0.1:{free_loopback_port()}/consent",
                            connect_args={"connect_timeout": 2})
    clock = SteppedClock()
    replicas = ReplicaSet([replica], primary_position=lambda: primary_wal_position(primary), max_lag_ms=1000,
                          check_interval_ms=500, clock=clock)
    try:
        with caplog.at_level(logging.INFO, logger="consent_service.stores.replicas"):
            for _ in range(3):
                assert replicas.choose() is Skip.DOWN
                clock.now += 0.5
        lines = [record.getMessage() for record in caplog.records]
        assert len(lines) == 2, lines
        assert "the primary's WAL position could not be sampled (OperationalError" in lines[0]
        assert "skipped (down)" in lines[1]
    finally:
        replicas.dispose()
        primary.dispose()
