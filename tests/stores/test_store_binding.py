"""The consent store bound to an engine is made when a session first needs it, once, and only for that engine."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from consent_service.consents import store as consent_store


class Made:
    """Stands in for a store: binding only keeps what the maker returns."""


def test_the_store_is_made_on_first_use_and_kept():
    engine = create_engine("sqlite://")
    made: list[Made] = []

    def make() -> Made:
        made.append(Made())
        return made[-1]

    consent_store.bind(engine, make)  # type: ignore[arg-type]
    assert made == []
    with Session(engine) as first, Session(engine) as second:
        assert consent_store.store_for(first) is consent_store.store_for(second) is made[0]
    assert len(made) == 1


def test_binding_again_replaces_the_store_made_before():
    engine = create_engine("sqlite://")
    consent_store.bind(engine, Made)  # type: ignore[arg-type]
    with Session(engine) as session:
        before = consent_store.store_for(session)
        consent_store.bind(engine, Made)  # type: ignore[arg-type]
        assert consent_store.store_for(session) is not before


def test_a_session_on_an_unbound_engine_is_told_create_app_binds_one():
    with Session(create_engine("sqlite://")) as session, pytest.raises(LookupError, match="create_app binds one"):
        consent_store.store_for(session)
