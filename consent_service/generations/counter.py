"""The generation counter of the watched rows: read it, alone or within another statement, and
refuse a view of those rows read at an older generation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from consent_service.generations.models import ROW_ID, Generation


class StaleSnapshot(Exception):
    """The generation read with the request's data is not the snapshot's: load again and redo."""

    def __init__(self, observed: int) -> None:
        super().__init__(f"generation moved to {observed}")
        self.observed = observed


@dataclass(frozen=True)
class Confirmable:
    """A view of the watched rows, good only while the generation it was read at is current."""

    generation: int
    # The last try of a request trusts the snapshot it just loaded instead of failing.
    final: bool = False

    def confirm(self, observed: int) -> None:
        """Raise StaleSnapshot unless `observed` (read with the request's data) is this snapshot's generation."""
        if observed != self.generation and not self.final:
            raise StaleSnapshot(observed)


def generation_value() -> ColumnElement[int]:
    """The current generation as a scalar subquery, to read in the same statement as other data
    (0 while the row is missing: the triggers recreate it with the next change)."""
    return func.coalesce(select(Generation.value).where(Generation.id == ROW_ID).scalar_subquery(), 0)


def current_generation(*, session: Session) -> int:
    value: int = session.execute(select(generation_value())).scalar_one()
    return value
