"""The consent store: what the consents domain asks of its database, answered the same way by each database's store.

Two questions and one write. `lookup` reads, for subjects asked by identifier, their facts, their stored
states and their suppression entries, with the generation that confirms the caller's snapshot: what
checks and state reads answer from. `record` reads the subject a write follows (creating it if need
be), hands it to the domain's pure `fold`, and writes what the fold returns, the events, the states,
the subject's new values and the companion rows of other tables, all or nothing. The domain cannot
tell which store it has; how fast each one is (how many statements, whether a transaction) is the
store's business (stores/sqlite.py, stores/postgres.py, with the contract tested in tests/stores/).

The store of a session is the one bound to its engine when the app started (`bind`, `store_for`):
chosen once from the database, never by looking at a connection on the way. With read replicas that
store routes `lookup` (stores/routed.py); the caller names the revisions it has seen written
(`min_revisions`), never the server, and learns afterwards which one answered (`read_place`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Engine, Table
from sqlalchemy.orm import Session

from consent_service.vocabulary import ReadPlace

# Where a lookup leaves which server answered it, in its session's info, for the view's X-Consent-Read.
READ_PLACE = "consent_read_place"
# Set in a session's info while its lookups may answer from a replica (replica_reads).
REPLICA_READS = "consent_replica_reads"


class NeedsTransaction(Exception):
    """Raised by an optimistic `record`, before anything is written, when the write cannot be one
    statement outside a transaction: it is to be done again, in a transaction."""


@dataclass(frozen=True)
class SubjectFacts:
    """What the rules need of a subject (a plain row, not an ORM object)."""

    id: int
    revision: int
    country: str | None
    born_by: datetime | None  # the latest birth date the stated age allows (subjects/ages.py)
    restricted: bool


@dataclass(frozen=True)
class StateRow:
    """A stored state as the rules read it (consents/state.py `effective`)."""

    purpose: str
    decision: str
    method: str
    notice_version: str
    regime: str
    property_key: str | None
    actor_type: str
    revision: int
    updated_at: datetime
    destinations: list[str] | None
    # When the person was notified, if the write said (an implied recording grant counts only with it).
    notified_at: datetime | None = None


@dataclass(frozen=True)
class Found:
    """What `lookup` found for one identifier."""

    subject: SubjectFacts | None
    states: dict[str, StateRow]
    suppressed_since: datetime | None
    # The purposes its suppression entry keeps refused; None for entries older than that record.
    suppressed_purposes: frozenset[str] | None = None


@dataclass(frozen=True)
class Guards:
    """Expressions of other domains that a store reads in its own statements, given when the app builds it."""

    # The generation that confirms (or refutes) a caller's snapshot (generations domain).
    generation: ColumnElement[Any]
    # True when the caller has more to write after `record` (webhooks' outbox): an optimistic record
    # then raises NeedsTransaction, and a record in a transaction says so in Written.follow_up.
    follow_up: ColumnElement[Any]


@dataclass(frozen=True)
class SubjectHead:
    """The subject a write follows, as its store read it (under its lock, or optimistically)."""

    id: int
    kind: str
    external_id: str
    # None: not stored yet; the write inserts it (with the id above, taken ahead).
    revision: int | None
    country: str | None
    born_by: datetime | None
    restricted: bool
    evidence_key: str | None
    erased: bool
    # The hash of its latest event, which the next one chains to; None before its first event.
    head_hash: str | None
    states: dict[str, StateRow]


@dataclass(frozen=True)
class CompanionRows:
    """Rows of another table written with the events, in the same statement or transaction."""

    table: Table
    # Every column of the table but an autoincrement id, in each row.
    rows: Sequence[Mapping[str, Any]]
    # On a primary key already there, these columns are added to the stored row's (a counter);
    # empty: a plain insert.
    add_on_conflict: tuple[str, ...] = ()


R = TypeVar("R")


@dataclass(frozen=True)
class Write(Generic[R]):
    """What the domain's fold made of a SubjectHead: the rows to write, and its own answer `result`."""

    events: Sequence[Mapping[str, Any]]
    # The states of the purposes just decided, whole rows (an upsert on the primary key).
    states: Sequence[Mapping[str, Any]]
    # The subject's columns this write changes (its revision, always).
    subject_values: Mapping[str, Any]
    companions: Sequence[CompanionRows]
    result: R


@dataclass(frozen=True)
class Written(Generic[R]):
    write: Write[R]
    # Guards.follow_up as read with the subject: the caller's follow-up row is due (in this transaction).
    follow_up: bool


class Confirmable(Protocol):
    """The caller's snapshot (generations.Snapshot): a store confirms it with the generation it read."""

    @property
    def generation(self) -> int: ...

    @property
    def final(self) -> bool: ...

    def confirm(self, observed: int) -> None: ...


class ConsentStore(Protocol):
    # Whether `record` can write optimistically: one statement that commits by itself.
    optimistic: bool

    def record(
        self,
        *,
        session: Session,
        kind: str,
        external_id: str,
        new_row: Mapping[str, Any],
        new_subject: bool,
        optimistic: bool,
        snapshot: Confirmable,
        fold: Callable[[SubjectHead], Write[R]],
    ) -> Written[R]:
        """Read the subject (inserting `new_row`, every column but the id, if it is not there), confirm
        `snapshot` with the generation read with it (StaleSnapshot before anything is written), and
        write what `fold` makes of it, all or nothing. `new_subject`: the identifier was just made up,
        so the subject is most likely not there.

        In a transaction (`optimistic` false) the subject's row lock is held from the read to the
        commit: writers of one subject queue, and the fold sees the latest head. Optimistically (on a
        connection where each statement commits by itself; only where `self.optimistic`) the write
        holds only if nobody wrote the subject since the read; otherwise the store reads and folds
        again, a few times, then raises NeedsTransaction, as it does when Guards.follow_up is true.
        `fold` may be called more than once and raises the domain's errors before anything is
        written; what it returns for the write that held is in Written."""
        ...

    def lookup(
        self,
        *,
        session: Session,
        identifiers: Sequence[tuple[str, str]],
        purpose_keys: Sequence[str] | None,
        pseudonyms: Sequence[str] | None,
        min_revisions: Sequence[int] | None = None,
    ) -> tuple[int, list[Found]]:
        """The generation, and for each (kind, external_id) its subject, its states (of `purpose_keys`,
        sorted and distinct, or all) and, with `pseudonyms` (one per identifier), its suppression entry:
        in the order asked, in one statement.

        `min_revisions` (one per identifier, 0 for none): the subject's revision the caller has seen
        written; the answer is read from a state at least that new (read your writes). The generation
        is always the primary's, so a key revoked anywhere is refused on the next request."""
        ...


_BOUND: WeakKeyDictionary[Engine, ConsentStore] = WeakKeyDictionary()
_MAKERS: WeakKeyDictionary[Engine, Callable[[], ConsentStore]] = WeakKeyDictionary()


def bind(engine: Engine, make: Callable[[], ConsentStore]) -> None:
    """Make the store `make` returns the consent store of sessions on `engine` (create_app, once per engine).

    It is made when a session first needs it: what a store reads with a subject (the flows' guards) imports the
    consent domain, which most `flask` commands never touch, so their start does not pay for it."""
    _BOUND.pop(engine, None)
    _MAKERS[engine] = make


@contextmanager
def replica_reads(session: Session) -> Iterator[None]:
    """Within it, the session's lookups may answer from a read replica, where one is configured: for
    requests that write nothing (checks, state reads). Everywhere else a lookup reads the primary, so a
    flow that reads after its own write (in its transaction) sees it."""
    session.info[REPLICA_READS] = True
    try:
        yield
    finally:
        session.info.pop(REPLICA_READS, None)


def read_place(session: Session) -> ReadPlace:
    """Which server answered the session's last lookup (the primary unless a routed store said otherwise)."""
    place: ReadPlace = session.info.pop(READ_PLACE, ReadPlace.PRIMARY)
    return place


def store_for(session: Session) -> ConsentStore:
    """The consent store bound to the session's engine."""
    engine = session.get_bind()
    store = _BOUND.get(engine)  # type: ignore[arg-type]  # get_bind returns an Engine for our sessions
    if store is None:
        try:
            make = _MAKERS[engine]  # type: ignore[index]
        except KeyError:
            raise LookupError(f"no consent store is bound to {engine!r}: create_app binds one (stores.bind)") from None
        # Two threads may both make one: the stores are alike, and the first one stored is the one kept.
        store = _BOUND.setdefault(engine, make())  # type: ignore[arg-type]
    return store
