"""The one read behind checks and state: generation, subjects, suppressions and states in one statement.

Core, not ORM objects: each identifier asked about drives one indexed lookup of its subject (the
unique kind + external_id index), of its suppression (primary key) and of its states (primary
key subject_id, purpose), and the generation of the process's snapshot comes back in the same
row, so a check costs one round trip whatever the batch size.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import Select, String, and_, bindparam, literal, null, select, union_all
from sqlalchemy.orm import Session

from consent_service.consents.models import ConsentState
from consent_service.generations import service as generations
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject, Suppression


@dataclass(frozen=True)
class SubjectFacts:
    """What the rules need of a subject (a plain row, not an ORM object)."""

    id: int
    revision: int
    country: str | None
    minor_until: datetime | None
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


@dataclass(frozen=True)
class Found:
    subject: SubjectFacts | None
    states: dict[str, StateRow]
    suppressed_since: datetime | None


def lookup(
    *,
    session: Session,
    identifiers: Sequence[tuple[str, str]],
    purpose_keys: Iterable[str] | None,
    pepper: str | None,
) -> tuple[int, list[Found]]:
    """The generation, and for each (kind, external_id) its subject, states (of `purpose_keys`,
    or all) and suppression, in the order asked."""
    params: dict[str, object] = {}
    for index, (kind, external_id) in enumerate(identifiers):
        params[f"kind_{index}"], params[f"external_id_{index}"] = kind, external_id
        if pepper:
            params[f"pseudonym_{index}"] = subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id)
    if purpose_keys is not None:
        params["purposes"] = sorted(set(purpose_keys))
    statement = _statement(len(identifiers), purpose_keys is not None, bool(pepper))
    rows = session.connection().execute(statement, params).all()
    found: list[Found] = [Found(None, {}, None) for _ in identifiers]
    generation = rows[0].generation if rows else None
    for row in rows:
        entry = found[row.i]
        if entry.subject is None and row.subject_id is not None:
            entry = found[row.i] = Found(
                SubjectFacts(row.subject_id, row.subject_revision, row.country, row.minor_until, bool(row.restricted)),
                entry.states, entry.suppressed_since,
            )
        if entry.suppressed_since is None and row.suppressed_since is not None:
            entry = found[row.i] = Found(entry.subject, entry.states, row.suppressed_since)
        if row.purpose is not None:
            entry.states[row.purpose] = StateRow(
                purpose=row.purpose, decision=row.decision, method=row.method, notice_version=row.notice_version,
                regime=row.regime, property_key=row.property_key, actor_type=row.actor_type, revision=row.revision,
                updated_at=row.updated_at, destinations=row.destinations,
            )
    return generation, found


@functools.lru_cache(maxsize=512)
def _statement(count: int, by_purpose: bool, suppression: bool) -> Select:
    """The statement for `count` identifiers, built once per shape: requests only bind values."""
    s, st, sup = Subject.__table__, ConsentState.__table__, Suppression.__table__
    parts = [
        select(
            literal(index).label("i"),
            bindparam(f"kind_{index}", type_=String).label("kind"),
            bindparam(f"external_id_{index}", type_=String).label("external_id"),
            (bindparam(f"pseudonym_{index}", type_=String) if suppression else literal("", String)).label("pseudonym"),
        )
        for index in range(count)
    ]
    asked = (union_all(*parts) if count > 1 else parts[0]).subquery("asked")
    state_join = st.c.subject_id == s.c.id
    if by_purpose:
        state_join = and_(state_join, st.c.purpose.in_(bindparam("purposes", expanding=True)))
    joined = (
        asked.outerjoin(s, and_(s.c.kind == asked.c.kind, s.c.external_id == asked.c.external_id))
        .outerjoin(st, state_join)
    )
    suppressed = null()
    if suppression:
        joined = joined.outerjoin(sup, and_(sup.c.kind == asked.c.kind, sup.c.pseudonym == asked.c.pseudonym))
        suppressed = sup.c.created_at
    return select(
        asked.c.i, generations.generation_value().label("generation"), suppressed.label("suppressed_since"),
        s.c.id.label("subject_id"), s.c.revision.label("subject_revision"), s.c.country, s.c.minor_until,
        s.c.restricted, st.c.purpose, st.c.decision, st.c.method, st.c.notice_version, st.c.regime,
        st.c.property_key, st.c.actor_type, st.c.revision, st.c.updated_at, st.c.destinations,
    ).select_from(joined)
