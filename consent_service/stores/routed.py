"""The consent store over a PostgreSQL primary and its read replicas: writes on the primary, lookups on a replica.

A lookup reads a replica only for a session whose request allowed it (`replica_reads`: a check or a
state read, which writes nothing), only while the replica may answer (stores/replicas.py), and only
if what it read is at least as new as the revisions the caller says it has seen written (read your
writes, by the subject's revision: exact per subject, where an LSN would need the write's position
kept by the caller and compared per server). Otherwise the primary answers, as without replicas.

The generation that confirms the caller's snapshot (keys, purposes, notices) is read on the primary,
never on the replica: a replica that has not replayed a key's revocation would otherwise accept the
key. That is one small read on the primary beside the replica's read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents.store import (
    READ_PLACE,
    REPLICA_READS,
    Confirmable,
    Found,
    Guards,
    R,
    SubjectHead,
    Write,
    Written,
)
from consent_service.stores.hot import execute_hot
from consent_service.stores.postgres import PostgresStore
from consent_service.stores.replicas import REPLICA_FAILURES, ReplicaSet, Skip, replica_skipped
from consent_service.vocabulary import ReadPlace


def replayed(found: Sequence[Found], min_revisions: Sequence[int] | None) -> bool:
    """Whether every subject read is at least at the revision asked for it (an unknown subject is at 0)."""
    if not min_revisions:
        return True
    return all(
        (entry.subject.revision if entry.subject is not None else 0) >= wanted
        for entry, wanted in zip(found, min_revisions, strict=True)
        if wanted
    )


class RoutedStore:
    """ConsentStore (consents/store.py) on a PostgreSQL primary with read replicas."""

    def __init__(self, primary: PostgresStore, replicas: ReplicaSet, guards: Guards) -> None:
        self._primary = primary
        self.replicas = replicas
        self.optimistic = primary.optimistic
        self._generation = select(guards.generation.label("generation"))

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
        return self._primary.record(
            session=session,
            kind=kind,
            external_id=external_id,
            new_row=new_row,
            new_subject=new_subject,
            optimistic=optimistic,
            snapshot=snapshot,
            fold=fold,
        )

    def lookup(
        self,
        *,
        session: Session,
        identifiers: Sequence[tuple[str, str]],
        purpose_keys: Sequence[str] | None,
        pseudonyms: Sequence[str] | None,
        min_revisions: Sequence[int] | None = None,
    ) -> tuple[int, list[Found]]:
        if session.info.get(REPLICA_READS):
            found = self._replica_read(identifiers, purpose_keys, pseudonyms, min_revisions)
            if found is not None:
                generation = execute_hot(session.connection(), self._generation, {}).scalar_one()
                session.info[READ_PLACE] = ReadPlace.REPLICA
                return int(generation), found
        session.info[READ_PLACE] = ReadPlace.PRIMARY
        return self._primary.lookup(
            session=session, identifiers=identifiers, purpose_keys=purpose_keys, pseudonyms=pseudonyms
        )

    def _replica_read(
        self,
        identifiers: Sequence[tuple[str, str]],
        purpose_keys: Sequence[str] | None,
        pseudonyms: Sequence[str] | None,
        min_revisions: Sequence[int] | None,
    ) -> list[Found] | None:
        """What a replica that may answer read, or None (counted with its reason) for the primary to answer."""
        chosen = self.replicas.choose()
        if isinstance(chosen, Skip):
            replica_skipped.send(reason=chosen)
            return None
        try:
            with chosen.engine.connect() as connection:
                _, found = self._primary.read(connection, identifiers, purpose_keys, pseudonyms)
        except REPLICA_FAILURES as error:
            self.replicas.failed(chosen, error)
            replica_skipped.send(reason=Skip.DOWN)
            return None
        if not replayed(found, min_revisions):
            replica_skipped.send(reason=Skip.BEHIND)
            return None
        return found
