"""Reads that may lag a moment (exports, reports): on a read replica when one may answer, else on the primary.

Chosen once at start (create_app): `PrimaryReads` without replicas, `ReplicaReads` over the same replicas
the routed consent store reads (stores/replicas.py decides which may answer). The work is given a session
and never learns which server it reads; the caller learns it afterwards, for the X-Consent-Read header.
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
    def run(self, primary: Session, work: Callable[[Session], T]) -> tuple[T, ReadPlace]:
        """`work` on a session of a replica that may answer, else on `primary`; and which one it ran on."""
        ...


class PrimaryReads:
    """No replicas: every read on the primary."""

    def run(self, primary: Session, work: Callable[[Session], T]) -> tuple[T, ReadPlace]:
        return work(primary), ReadPlace.PRIMARY


class ReplicaReads:
    """Reads on a replica while one may answer; a replica that fails the work is skipped and the primary redoes it."""

    def __init__(self, replicas: ReplicaSet) -> None:
        self._replicas = replicas

    def run(self, primary: Session, work: Callable[[Session], T]) -> tuple[T, ReadPlace]:
        chosen = self._replicas.choose()
        if isinstance(chosen, Skip):
            replica_skipped.send(reason=chosen)
            return work(primary), ReadPlace.PRIMARY
        with Session(bind=chosen.engine) as session:
            try:
                return work(session), ReadPlace.REPLICA
            except REPLICA_FAILURES as error:
                self._replicas.failed(chosen, error)
        replica_skipped.send(reason=Skip.DOWN)
        return work(primary), ReadPlace.PRIMARY
