"""What a hot statement must be to run identically on SQLite (through SQLAlchemy) and PostgreSQL (on the driver).

The driver path skips SQLAlchemy's type processing and renders a statement once, so whatever that
processing or a per-execution rendering would do is refused up front, on both databases alike, with
an error that says what to bind instead: an expanding IN (rendered anew per execution), a JSON-typed
parameter (serialized by SQLAlchemy on one path, not on the other), a naive datetime (refused by one,
taken as local time by the other) and a dict or a list where no array is expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import Compiled


class UnportableStatement(ValueError):
    """A statement or value the hot path would run differently on the two databases."""


def refuse_unportable_statement(compiled: Compiled) -> frozenset[str]:
    """Raise UnportableStatement for an expanding or post-compile parameter or a JSON-typed one; else
    the names of its array parameters (the only ones that take a list)."""
    binds = getattr(compiled, "binds", {})
    expanding = sorted(name for name, bind in binds.items() if bind.expanding or bind.literal_execute)
    if expanding:
        raise UnportableStatement(
            f"expanding or post-compile parameters {expanding}: bind one parameter per value (or an array) instead"
        )
    as_json = sorted(name for name, bind in binds.items() if isinstance(bind.type, JSON))
    if as_json:
        raise UnportableStatement(
            f"JSON-typed parameters {as_json}: bind the JSON text (json.dumps) as a string and cast it in SQL"
        )
    return frozenset(name for name, bind in binds.items() if isinstance(bind.type, ARRAY))


def refuse_unportable_values(params: Mapping[str, Any], *, arrays: frozenset[str] | None = frozenset()) -> None:
    """Raise UnportableStatement for a naive datetime, a dict, or a list unless `arrays` names the
    parameter (None: any may be an array, for SQL whose parameters' types are not known here)."""
    for name, value in params.items():
        kind = type(value)
        if kind is datetime and value.tzinfo is None:
            raise UnportableStatement(f"parameter {name!r} is a naive datetime: bind timezone-aware UTC")
        if kind is dict or (kind is list and arrays is not None and name not in arrays):
            raise UnportableStatement(
                f"parameter {name!r} is a {kind.__name__}: bind JSON as text (json.dumps) and cast it in SQL"
            )
