"""The one read behind checks and state: generation, subjects, suppressions and states in one statement.

Core, not ORM objects: each identifier asked about drives one indexed lookup of its subject (the
unique kind + external_id index), of its suppression (primary key) and of its states (primary
key subject_id, purpose), and the generation of the process's snapshot comes back in the same
row, so a check costs one round trip whatever the batch size.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import Select, String, and_, any_, bindparam, cast, column, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY, JSON
from sqlalchemy.orm import Session

from consent_service.consents.models import ConsentState
from consent_service.database import execute_hot
from consent_service.generations import service as generations
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject, Suppression


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
    subject: SubjectFacts | None
    states: dict[str, StateRow]
    suppressed_since: datetime | None
    # The purposes its suppression entry keeps refused; None for entries older than that record.
    suppressed_purposes: frozenset[str] | None = None


def lookup(
    *,
    session: Session,
    identifiers: Sequence[tuple[str, str]],
    purpose_keys: Iterable[str] | None,
    pepper: str | None,
) -> tuple[int, list[Found]]:
    """The generation, and for each (kind, external_id) its subject, states (of `purpose_keys`,
    or all) and suppression, in the order asked."""
    connection = session.connection()
    purposes = None if purpose_keys is None else sorted(set(purpose_keys))
    pseudonyms = [subjects.pseudonym(pepper=pepper, kind=kind, external_id=external_id)
                  for kind, external_id in identifiers] if pepper else None
    # One identifier binds scalars; a batch on PostgreSQL, one JSON text (see _batch_statement).
    if len(identifiers) > 1 and connection.dialect.name == "postgresql":
        asked = [[kind, external_id, pseudonyms[index] if pseudonyms else ""]
                 for index, (kind, external_id) in enumerate(identifiers)]
        statement = _batch_statement(purposes is not None, bool(pepper))
        params = {"asked": json.dumps(asked), "purposes": purposes}
    else:
        statement = _statement(len(identifiers), None if purposes is None else len(purposes), bool(pepper))
        params = {}
        for index, (kind, external_id) in enumerate(identifiers):
            params[f"kind_{index}"], params[f"external_id_{index}"] = kind, external_id
            if pseudonyms:
                params[f"pseudonym_{index}"] = pseudonyms[index]
        if purposes is not None:
            params.update({f"purpose_{index}": key for index, key in enumerate(purposes)})
    rows = execute_hot(connection, statement, params).all()
    found: list[Found] = [Found(None, {}, None) for _ in identifiers]
    generation = rows[0][1] if rows else None
    # By position, in the statement's column order: the hot path of every check and state read.
    for (i, _generation, suppressed_since, refused, subject_id, subject_revision, country, born_by, restricted,
         purpose, decision, method, notice_version, regime, property_key, actor_type, revision, updated_at,
         destinations, notified_at) in rows:
        entry = found[i]
        if entry.subject is None and subject_id is not None:
            entry = found[i] = Found(
                SubjectFacts(subject_id, subject_revision, country, born_by, bool(restricted)),
                entry.states, entry.suppressed_since, entry.suppressed_purposes,
            )
        if entry.suppressed_since is None and suppressed_since is not None:
            entry = found[i] = Found(entry.subject, entry.states, suppressed_since,
                                     None if refused is None else frozenset(refused))
        if purpose is not None:
            entry.states[purpose] = StateRow(
                purpose=purpose, decision=decision, method=method, notice_version=notice_version, regime=regime,
                property_key=property_key, actor_type=actor_type, revision=revision, updated_at=updated_at,
                destinations=destinations, notified_at=notified_at,
            )
    return generation, found


@functools.lru_cache(maxsize=512)
def _statement(count: int, purpose_count: int | None, suppression: bool) -> Select:
    """The statement for `count` identifiers and `purpose_count` purposes (None: all), built once per
    shape: requests only bind values. One bind parameter per purpose rather than an expanding IN,
    which SQLAlchemy would render anew on every execution."""
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
    purposes = None
    if purpose_count is not None:
        purposes = ConsentState.__table__.c.purpose.in_(
            [bindparam(f"purpose_{index}", type_=String) for index in range(purpose_count)]
        )
    return _joined(asked, purposes, suppression)


@functools.lru_cache(maxsize=4)
def _batch_statement(by_purpose: bool, suppression: bool) -> Select:
    """PostgreSQL's statement for a batch: the identifiers bound as one JSON array of [kind,
    external_id, pseudonym], the purposes as an array. One text for every batch size, so the driver
    converts it once and the server prepares it once (psycopg parsed a hundred-part union anew on
    every execution, its text too long for its cache); JSON, because json.dumps writes it in C where
    psycopg dumps arrays element by element in Python."""
    rows = func.json_array_elements(cast(bindparam("asked", type_=String), JSON)).table_valued(
        column("value", JSON), with_ordinality="position",
    ).render_derived()
    asked = select(
        (rows.c.position - 1).label("i"), rows.c.value[0].astext.label("kind"),
        rows.c.value[1].astext.label("external_id"), rows.c.value[2].astext.label("pseudonym"),
    ).subquery("asked")
    purposes = ConsentState.__table__.c.purpose == any_(bindparam("purposes", type_=ARRAY(String))) if by_purpose else None
    return _joined(asked, purposes, suppression)


def _joined(asked, purposes, suppression: bool) -> Select:
    """Each identifier asked (i, kind, external_id, pseudonym) with its subject, states and suppression."""
    s, st, sup = Subject.__table__, ConsentState.__table__, Suppression.__table__
    state_join = st.c.subject_id == s.c.id
    if purposes is not None:
        state_join = and_(state_join, purposes)
    joined = (
        asked.outerjoin(s, and_(s.c.kind == asked.c.kind, s.c.external_id == asked.c.external_id))
        .outerjoin(st, state_join)
    )
    suppressed, refused = null(), null()
    if suppression:
        joined = joined.outerjoin(sup, and_(sup.c.kind == asked.c.kind, sup.c.pseudonym == asked.c.pseudonym))
        suppressed, refused = sup.c.created_at, sup.c.refused_purposes
    # The row handling in lookup() reads these by position.
    return select(
        asked.c.i, generations.generation_value().label("generation"), suppressed.label("suppressed_since"),
        refused.label("refused_purposes"),
        s.c.id.label("subject_id"), s.c.revision.label("subject_revision"), s.c.country, s.c.born_by,
        s.c.restricted, st.c.purpose, st.c.decision, st.c.method, st.c.notice_version, st.c.regime,
        st.c.property_key, st.c.actor_type, st.c.revision, st.c.updated_at, st.c.destinations, st.c.notified_at,
    ).select_from(joined)
