"""The read replicas of a process: which one may answer now, by a lag or failure measured at most once per interval.

A standby is skipped while it is unreachable, no longer a standby (promoted, so it follows nobody), or
behind by more than the allowed lag. Its lag is measured by one small query at most once per
`check_interval` (and by the first read after it), never per request: between two measures a worker
trusts the last one, so a replica may lag by up to the allowed lag plus the interval before it is
skipped. A read that fails on a replica marks it down until the next measure. Each change of a
replica's standing is logged once; every read the primary answers instead is counted by whoever
listens to `replica_skipped` (metrics.py).
"""

from __future__ import annotations

import logging
import threading
import time
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
# transaction. The age alone grows while the primary is idle, so it only counts while WAL waits to be replayed.
PROBE = text(
    "SELECT pg_is_in_recovery(), "
    "coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), false), "
    "extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000"
)


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


def verdict(measure: Measure | None, *, max_lag_ms: int) -> Skip | None:
    """Why a replica so measured is skipped (None: it may answer). `measure` None: it could not be measured."""
    if measure is None:
        return Skip.DOWN
    if not measure.in_recovery:
        return Skip.NOT_STANDBY
    if measure.caught_up:
        return None
    if measure.replay_age_ms is None or measure.replay_age_ms > max_lag_ms:
        return Skip.LAGGING
    return None


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
        max_lag_ms: int,
        check_interval_ms: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replicas = [Replica(engine, position) for position, engine in enumerate(engines, start=1)]
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
                measure, detail = self._measure(replica)
                skip = verdict(measure, max_lag_ms=self._max_lag_ms)
                if skip is Skip.LAGGING and measure is not None:
                    detail = f"replay {measure.replay_age_ms or 0:.0f} ms behind (limit {self._max_lag_ms} ms)"
                self._settle(replica, skip, detail)
            finally:
                replica.lock.release()
        return replica.skip

    def _measure(self, replica: Replica) -> tuple[Measure | None, str]:
        try:
            with replica.engine.connect() as connection:
                in_recovery, caught_up, age = connection.execute(PROBE).one()
        except REPLICA_FAILURES as error:
            return None, f"{type(error).__name__}: {_first_line(error)}"
        return Measure(bool(in_recovery), bool(caught_up), None if age is None else float(age)), "not a standby"

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
