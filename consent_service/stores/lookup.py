"""The one read behind checks and state: generation, subjects, suppressions and states in one statement (both stores).

Core, not ORM objects: each identifier asked about drives one indexed lookup of its subject (the
unique kind + external_id index), of its suppression (primary key) and of its states (primary
key subject_id, purpose), and the generation of the process's snapshot comes back in the same
row, so a check costs one round trip whatever the batch size.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, String, and_, bindparam, literal, null, select, union_all
from sqlalchemy.sql import ColumnElement

from consent_service.consents.models import ConsentState
from consent_service.consents.store import Found, Guards, StateRow, SubjectFacts
from consent_service.stores.hot import execute_hot
from consent_service.subjects.models import Subject, Suppression


def read(
    connection: Connection,
    guards: Guards,
    identifiers: Sequence[tuple[str, str]],
    purposes: Sequence[str] | None,
    pseudonyms: Sequence[str] | None,
) -> tuple[int, list[Found]]:
    """ConsentStore.lookup with one bind parameter per value (one identifier, or any number on SQLite)."""
    statement = _statement(guards, len(identifiers), None if purposes is None else len(purposes), bool(pseudonyms))
    params: dict[str, Any] = {}
    for index, (kind, external_id) in enumerate(identifiers):
        params[f"kind_{index}"], params[f"external_id_{index}"] = kind, external_id
        if pseudonyms:
            params[f"pseudonym_{index}"] = pseudonyms[index]
    if purposes is not None:
        params.update({f"purpose_{index}": key for index, key in enumerate(purposes)})
    return found(execute_hot(connection, statement, params).all(), len(identifiers))


def found(rows: Sequence[Any], count: int) -> tuple[int, list[Found]]:
    """The generation and what was found for each of `count` identifiers, from the rows of `_joined`."""
    answers: list[Found] = [Found(None, {}, None) for _ in range(count)]
    generation = rows[0][1] if rows else 0
    # By position, in the statement's column order: the hot path of every check and state read.
    for (
        i,
        _generation,
        suppressed_since,
        refused,
        subject_id,
        subject_revision,
        country,
        born_by,
        restricted,
        purpose,
        decision,
        method,
        notice_version,
        regime,
        property_key,
        actor_type,
        revision,
        updated_at,
        destinations,
        notified_at,
    ) in rows:
        entry = answers[i]
        if entry.subject is None and subject_id is not None:
            entry = answers[i] = Found(
                SubjectFacts(subject_id, subject_revision, country, born_by, bool(restricted)),
                entry.states,
                entry.suppressed_since,
                entry.suppressed_purposes,
            )
        if entry.suppressed_since is None and suppressed_since is not None:
            entry = answers[i] = Found(
                entry.subject, entry.states, suppressed_since, None if refused is None else frozenset(refused)
            )
        if purpose is not None:
            entry.states[purpose] = StateRow(
                purpose=purpose,
                decision=decision,
                method=method,
                notice_version=notice_version,
                regime=regime,
                property_key=property_key,
                actor_type=actor_type,
                revision=revision,
                updated_at=updated_at,
                destinations=destinations,
                notified_at=notified_at,
            )
    return generation, answers


@functools.lru_cache(maxsize=512)
def _statement(guards: Guards, count: int, purpose_count: int | None, suppression: bool) -> Select[Any]:
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
    return joined(guards, asked, purposes, suppression)


def joined(guards: Guards, asked: Any, purposes: ColumnElement[bool] | None, suppression: bool) -> Select[Any]:
    """Each identifier asked (i, kind, external_id, pseudonym) with its subject, states and suppression."""
    s, st, sup = Subject.__table__, ConsentState.__table__, Suppression.__table__
    state_join = st.c.subject_id == s.c.id
    if purposes is not None:
        state_join = and_(state_join, purposes)
    joined = asked.outerjoin(s, and_(s.c.kind == asked.c.kind, s.c.external_id == asked.c.external_id)).outerjoin(
        st, state_join
    )
    # The suppression's columns, or NULLs where it is not asked for.
    suppressed: ColumnElement[Any] = null()
    refused: ColumnElement[Any] = null()
    if suppression:
        joined = joined.outerjoin(sup, and_(sup.c.kind == asked.c.kind, sup.c.pseudonym == asked.c.pseudonym))
        suppressed, refused = sup.c.created_at, sup.c.refused_purposes
    # The row handling in lookup() reads these by position.
    return select(
        asked.c.i,
        guards.generation.label("generation"),
        suppressed.label("suppressed_since"),
        refused.label("refused_purposes"),
        s.c.id.label("subject_id"),
        s.c.revision.label("subject_revision"),
        s.c.country,
        s.c.born_by,
        s.c.restricted,
        st.c.purpose,
        st.c.decision,
        st.c.method,
        st.c.notice_version,
        st.c.regime,
        st.c.property_key,
        st.c.actor_type,
        st.c.revision,
        st.c.updated_at,
        st.c.destinations,
        st.c.notified_at,
    ).select_from(joined)
