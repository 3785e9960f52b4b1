"""The pure parts of read routing: the replica settings, whether a measured replica may answer, whether what it
read is new enough, and a replica that cannot be reached measured once per interval and logged once."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, event

from consent_service.config import ConfigError, Settings
from consent_service.consents.store import Found, SubjectFacts
from consent_service.stores.replicas import Measure, ReplicaSet, Skip, verdict
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


@pytest.mark.parametrize("measure, expected", [
    (None, Skip.DOWN),
    (Measure(in_recovery=False, caught_up=True, replay_age_ms=0.0), Skip.NOT_STANDBY),
    # Caught up with all it received: used whatever the age, which grows while the primary is idle.
    (Measure(in_recovery=True, caught_up=True, replay_age_ms=3_600_000.0), None),
    (Measure(in_recovery=True, caught_up=True, replay_age_ms=None), None),
    (Measure(in_recovery=True, caught_up=False, replay_age_ms=999.0), None),
    (Measure(in_recovery=True, caught_up=False, replay_age_ms=1000.0), None),
    (Measure(in_recovery=True, caught_up=False, replay_age_ms=1000.5), Skip.LAGGING),
    # WAL waiting and nothing replayed yet: how far behind is unknown.
    (Measure(in_recovery=True, caught_up=False, replay_age_ms=None), Skip.LAGGING),
])
def test_the_verdict_on_a_measured_replica(measure, expected):
    assert verdict(measure, max_lag_ms=1000) is expected


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
    replicas = ReplicaSet([engine], max_lag_ms=1000, check_interval_ms=500, clock=clock)
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
