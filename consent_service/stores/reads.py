"""Reads that may lag a moment (exports, reports): on a read replica when one may answer, else on the primary.

Chosen once at start (create_app): `PrimaryReads` without replicas, `ReplicaReads` over the same replicas
the routed consent store reads (stores/replicas.py decides which may answer). The work is given a session
and never learns which server it reads; the caller learns it afterwards, for the X-Consent-Read header.
A read that must see a write the caller made (read your writes) names it by `replayed`, a question asked of
the replica's session before the work: a replica that has not replayed the write leaves the work to the
primary. The replica only moves forward, so what it has replayed then the work reads too.
Work that writes, locks or authenticates never goes through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from consent_service.stores.replicas import REPLICA_FAILURES, ReplicaSet, Skip, replica_skipped
from consent_service.vocabulary import ReadPlace

T = TypeVar("T")


class LaggingReads(Protocol):
    def run(
        self, primary: Session, work: Callable[[Session], T], *, replayed: Callable[[Session], bool] | None = None
    ) -> tuple[T, ReadPlace]:
        """`work` on a session of a replica that may answer, else on `primary`; and which one it ran on.

        With `replayed`, a replica answers only if `replayed(its session)` is true (it holds what the caller
        must see); otherwise the primary does, counted as skipped with reason `behind`."""
        ...


class PrimaryReads:
    """No replicas: every read on the primary, which holds every write (`replayed` is not asked)."""

    def run(
        self, primary: Session, work: Callable[[Session], T], *, replayed: Callable[[Session], bool] | None = None
    ) -> tuple[T, ReadPlace]:
        return work(primary), ReadPlace.PRIMARY


class ReplicaReads:
    """Reads on a replica while one may answer; a replica that fails the work is skipped and the primary redoes it."""

    def __init__(self, replicas: ReplicaSet) -> None:
        self._replicas = replicas

    def run(
        self, primary: Session, work: Callable[[Session], T], *, replayed: Callable[[Session], bool] | None = None
    ) -> tuple[T, ReadPlace]:
        chosen = self._replicas.choose()
        if isinstance(chosen, Skip):
            replica_skipped.send(reason=chosen)
            return work(primary), ReadPlace.PRIMARY
        skip = Skip.DOWN
        with Session(bind=chosen.engine) as session:
            try:
                if replayed is None or replayed(session):
                    return work(session), ReadPlace.REPLICA
                skip = Skip.BEHIND
            except REPLICA_FAILURES as error:
                self._replicas.failed(chosen, error)
        replica_skipped.send(reason=skip)
        return work(primary), ReadPlace.PRIMARY
