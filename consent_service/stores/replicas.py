"""The read replicas of a process: which one may answer now, by a lag or failure measured at most once per interval.

A standby is skipped while it is unreachable, no longer a standby (promoted, so it follows nobody), or
lagging. Lagging is measured against the primary: the set samples the primary's WAL position at most once
per `check_interval` and keeps the samples for as long as the allowed lag needs them; a standby that has
not replayed the position the primary had reached at least `max_lag` ago is lagging. The standby's own
view cannot tell: one whose stream is lost (walreceiver stopped, primary_conninfo broken, network cut) has
replayed all it received, so it looks caught up and would answer stale reads forever. Until a sample is that
old (process start), or while the primary cannot be sampled, the standby's own view decides alone: it is
lagging if WAL it received waits to be replayed and its last replayed transaction is older than `max_lag`;
that age rule holds as well once the primary is sampled (either skips). A standby is measured by one small
query at most once per `check_interval` (and by the first read after it), never per request: between two
measures a worker trusts the last one, so a replica may lag by up to the allowed lag plus twice the interval
(the sample's age and the measure's) before it is skipped. A read that fails on a replica marks it down
until the next measure. Each change of a replica's standing, and of whether the primary can be sampled, is
logged once; every read the primary answers instead is counted by whoever listens to `replica_skipped`
(metrics.py).

WAL positions are compared as integers (bytes since 0/0, `pg_lsn - '0/0'`) in Python: the two positions
come from different servers, so no one statement sees both, and the probe stays one fixed statement.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from blinker import Namespace
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import InterfaceError, OperationalError

from consent_service.database import ping_when_idle

log = logging.getLogger(__name__)

# A replica that does not answer a connection within this long is down; libpq's least is 2 seconds.
CONNECT_TIMEOUT_SECONDS = 2
# What a replica failing looks like from here: the driver's connection and server errors (a refused or
# lost connection, a query cancelled by a conflict with replay), never a programming error of ours.
REPLICA_FAILURES = (OperationalError, InterfaceError)

# sent with reason=Skip for every read the primary answered though replicas are configured.
replica_skipped = Namespace().signal("replica-skipped")

# On a standby: still in recovery; replayed all it has received (receive <= replay: after a restart the
# receiver starts at the beginning of a segment, below what was replayed); the age of its last replayed
# transaction (it grows while the primary is idle, so it only counts while WAL waits to be replayed); the
# position it has replayed up to.
PROBE = text(
    "SELECT pg_is_in_recovery(), "
    "coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false), "
    "extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, "
    "pg_last_wal_replay_lsn() - '0/0'::pg_lsn"
)
# On the primary: the end of the WAL it has flushed. Only flushed WAL is sent to standbys, so the write
# position (pg_current_wal_lsn) may be ahead by asynchronously committed WAL no standby can have yet.
PRIMARY_POSITION = text("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn")


class Skip(StrEnum):
    """Why the primary answered a read instead of a replica."""

    DOWN = "down"
    NOT_STANDBY = "not_standby"
    LAGGING = "lagging"
    # Read your writes: the replica had not replayed the revision the caller named.
    BEHIND = "behind"


@dataclass(frozen=True)
class Measure:
    """What one probe of a standby read."""

    in_recovery: bool
    # It has replayed everything it has received from the primary.
    caught_up: bool
    # Milliseconds since the last transaction it replayed was committed on the primary (None: none yet).
    replay_age_ms: float | None
    # The WAL position it has replayed up to, in bytes (None: it never replayed any).
    replayed_lsn: int | None


@dataclass(frozen=True)
class Position:
    """The primary's WAL position (bytes) and the monotonic time by which it had reached it."""

    at: float
    lsn: int


def verdict(measure: Measure | None, *, max_lag_ms: int, primary_then: Position | None) -> Skip | None:
    """Why a replica so measured is skipped (None: it may answer).

    `measure` None: it could not be measured. `primary_then`: the position the primary had reached at least
    `max_lag_ms` ago (None: not known, the standby's own view decides alone).
    """
    if measure is None:
        return Skip.DOWN
    if not measure.in_recovery:
        return Skip.NOT_STANDBY
    if below(measure, primary_then):
        return Skip.LAGGING
    if measure.caught_up:
        return None
    if measure.replay_age_ms is None or measure.replay_age_ms > max_lag_ms:
        return Skip.LAGGING
    return None


def below(measure: Measure, primary_then: Position | None) -> bool:
    """Whether the standby has not replayed the position the primary had reached then (False while that is unknown)."""
    if primary_then is None:
        return False
    return measure.replayed_lsn is None or measure.replayed_lsn < primary_then.lsn


def primary_wal_position(engine: Engine) -> int:
    """The WAL position (bytes) the primary on `engine` has flushed, hence may have sent to its standbys."""
    with engine.connect() as connection:
        return int(connection.execute(PRIMARY_POSITION).scalar_one())


def lsn_text(lsn: int) -> str:
    """A position as PostgreSQL writes a pg_lsn (high/low 32 bits in hex), as operators read it in its views."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


class PrimaryPositions:
    """The primary's WAL position sampled at most once per interval, kept only as long as the allowed lag needs it."""

    def __init__(
        self, sample: Callable[[], int], *, max_lag_ms: int, check_interval_ms: int, clock: Callable[[], float]
    ) -> None:
        self._sample = sample
        self._max_lag = max_lag_ms / 1000
        self._interval = check_interval_ms / 1000
        self._clock = clock
        self._samples: deque[Position] = deque()
        self._sampled_at: float | None = None
        self._failing = False
        # One thread samples; the others go by the samples there are meanwhile.
        self._sampling = threading.Lock()
        self._lock = threading.Lock()

    def reached_by_max_lag(self) -> Position | None:
        """The newest position the primary had reached at least the allowed lag ago, sampling first if due.

        None while no sample is that old (since start) or while the primary cannot be sampled.
        """
        self._sample_if_due()
        now = self._clock()
        cutoff = now - self._max_lag
        with self._lock:
            if self._failing:
                return None
            # Only the newest sample old enough is needed, and every one newer (each becomes old enough in turn).
            while len(self._samples) > 1 and self._samples[1].at <= cutoff:
                self._samples.popleft()
            oldest = self._samples[0] if self._samples else None
        return oldest if oldest is not None and oldest.at <= cutoff else None

    def kept(self) -> int:
        """How many samples are kept."""
        with self._lock:
            return len(self._samples)

    def _sample_if_due(self) -> None:
        if self._sampled_at is not None and self._clock() - self._sampled_at < self._interval:
            return
        if not self._sampling.acquire(blocking=False):
            return
        try:
            # A failure counts as a sample too: a primary that cannot answer is asked once per interval, not per read.
            self._sampled_at = self._clock()
            try:
                lsn = self._sample()
            except REPLICA_FAILURES as error:
                self._failed(error)
                return
            with self._lock:
                # Stamped once the answer is in: the primary had reached this position by then at the latest.
                self._samples.append(Position(self._clock(), lsn))
                recovered, self._failing = self._failing, False
            if recovered:
                log.info("the primary's WAL position is sampled again: replicas are measured against it")
        finally:
            self._sampling.release()

    def _failed(self, error: Exception) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            log.warning(
                "the primary's WAL position could not be sampled (%s: %s): replicas are judged by their own replay "
                "until it can",
                type(error).__name__,
                _first_line(error),
            )


def replica_engine(url: str, *, pool_size: int, statement_timeout_ms: int) -> Engine:
    """An engine on one standby: autocommit (it only reads), the primary's session settings, a short connect timeout."""
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        isolation_level="AUTOCOMMIT",
        connect_args={
            # Times come back in UTC whatever the server's TimeZone, as on the primary (hot statements read them raw).
            "options": f"-c statement_timeout={statement_timeout_ms} -c TimeZone=UTC",
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        },
    )
    ping_when_idle(engine)
    return engine


class Replica:
    """One standby: its engine and its standing as last measured."""

    def __init__(self, engine: Engine, position: int) -> None:
        self.engine = engine
        # Named by its place in DATABASE_REPLICA_URLS, port and database: the logs truncate IP addresses (a host
        # of 127.0.0.1 would read 127.0.0.0), and the URL may carry credentials.
        self.name = (
            f"#{position} of DATABASE_REPLICA_URLS (port {engine.url.port or 5432}, database {engine.url.database})"
        )
        # Unknown until first measured: the primary answers meanwhile.
        self.skip: Skip | None = Skip.DOWN
        self.measured_at: float | None = None
        self.lock = threading.Lock()


class ReplicaSet:
    """The process's replicas, taken in turn among those that may answer."""

    def __init__(
        self,
        engines: Sequence[Engine],
        *,
        primary_position: Callable[[], int],
        max_lag_ms: int,
        check_interval_ms: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`primary_position` reads the primary's WAL position (primary_wal_position on its engine); it may raise
        REPLICA_FAILURES when the primary cannot answer."""
        self.replicas = [Replica(engine, position) for position, engine in enumerate(engines, start=1)]
        self.primary = PrimaryPositions(
            primary_position, max_lag_ms=max_lag_ms, check_interval_ms=check_interval_ms, clock=clock
        )
        self._max_lag_ms = max_lag_ms
        self._interval = check_interval_ms / 1000
        self._clock = clock
        self._turn = 0

    def choose(self) -> Replica | Skip:
        """A replica that may answer now, or why none may (the first one's reason)."""
        first: Skip | None = None
        count = len(self.replicas)
        self._turn = start = (self._turn + 1) % count
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            skip = self._standing(replica)
            if skip is None:
                return replica
            first = first or skip
        return first or Skip.DOWN

    def failed(self, replica: Replica, error: Exception) -> None:
        """A read on `replica` failed: down until measured again."""
        self._settle(replica, Skip.DOWN, f"{type(error).__name__}: {_first_line(error)}")

    def dispose(self) -> None:
        for replica in self.replicas:
            replica.engine.dispose()

    def _standing(self, replica: Replica) -> Skip | None:
        due = replica.measured_at is None or self._clock() - replica.measured_at >= self._interval
        # One thread measures; the others go by the last measure meanwhile.
        if due and replica.lock.acquire(blocking=False):
            try:
                primary_then = self.primary.reached_by_max_lag()
                measure, detail = self._measure(replica)
                skip = verdict(measure, max_lag_ms=self._max_lag_ms, primary_then=primary_then)
                if skip is Skip.LAGGING and measure is not None:
                    detail = self._lag(measure, primary_then)
                self._settle(replica, skip, detail)
            finally:
                replica.lock.release()
        return replica.skip

    def _measure(self, replica: Replica) -> tuple[Measure | None, str]:
        try:
            with replica.engine.connect() as connection:
                in_recovery, caught_up, age, replayed = connection.execute(PROBE).one()
        except REPLICA_FAILURES as error:
            return None, f"{type(error).__name__}: {_first_line(error)}"
        measure = Measure(
            bool(in_recovery),
            bool(caught_up),
            None if age is None else float(age),
            None if replayed is None else int(replayed),
        )
        return measure, "not a standby"

    def _lag(self, measure: Measure, primary_then: Position | None) -> str:
        """How a lagging replica is behind, by the rule that found it so."""
        if primary_then is not None and below(measure, primary_then):
            replayed = "nothing" if measure.replayed_lsn is None else lsn_text(measure.replayed_lsn)
            ago_ms = (self._clock() - primary_then.at) * 1000
            return (
                f"replayed up to {replayed}, the primary was at {lsn_text(primary_then.lsn)} {ago_ms:.0f} ms ago "
                f"(limit {self._max_lag_ms} ms)"
            )
        return f"replay {measure.replay_age_ms or 0:.0f} ms behind (limit {self._max_lag_ms} ms)"

    def _settle(self, replica: Replica, skip: Skip | None, detail: str) -> None:
        """Record a replica's standing; its first standing and each change of it are logged, once."""
        changed = replica.measured_at is None or skip is not replica.skip
        replica.skip, replica.measured_at = skip, self._clock()
        if not changed:
            return
        if skip is None:
            log.info("read replica %s answers reads", replica.name)
        else:
            log.warning("read replica %s skipped (%s): %s; the primary answers", replica.name, skip.value, detail)


def _first_line(error: Exception) -> str:
    """The driver's message without SQLAlchemy's appended statement and parameters."""
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
