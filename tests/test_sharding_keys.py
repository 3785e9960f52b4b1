"""The migrated schema keeps the subject in every key of the subject-keyed tables (consent_service/sharding.py)."""
from __future__ import annotations

from sqlalchemy import inspect

from consent_service import sharding
from consent_service.extensions import db
from consent_service.ledger import partitions


def _tables(inspector) -> list[str]:
    return [name for name in inspector.get_table_names() if not partitions.is_partition(name)]


def test_every_table_has_a_place_in_the_layout(app):
    placed = [*sharding.SUBJECT_KEYED, *sharding.REFERENCE, *sharding.LOCAL]
    assert len(placed) == len(set(placed)), "a table is in two places"
    tables = set(_tables(inspect(db.engine))) - {"alembic_version"}
    assert tables - set(placed) == set(), "a new table: say in consent_service/sharding.py where it lives"
    assert set(placed) - tables == set()


def test_keys_of_subject_keyed_tables_hold_the_distribution_column(app):
    """Primary keys and unique keys hold it; a foreign key to another subject-keyed table holds it on both
    sides (the rows it joins are on one shard); one to a reference table may be anything. Named exceptions
    only, each one with its reason."""
    inspector = inspect(db.engine)
    problems = []
    exceptions_seen = set()
    for table, column in sharding.SUBJECT_KEYED.items():
        keys = [("primary key", tuple(inspector.get_pk_constraint(table)["constrained_columns"]))]
        keys += [("unique key", tuple(unique["column_names"])) for unique in inspector.get_unique_constraints(table)]
        for kind, columns in keys:
            if (table, columns) in sharding.CROSS_SHARD_KEYS:
                exceptions_seen.add((table, columns))
            elif column not in columns:
                problems.append(f"{table}: {kind} {columns} lacks {column}")
        for foreign in inspector.get_foreign_keys(table):
            referred = foreign["referred_table"]
            if partitions.is_partition(referred) or referred in sharding.REFERENCE:
                continue
            columns = tuple(foreign["constrained_columns"])
            if (table, columns) in sharding.CROSS_SHARD_KEYS:
                exceptions_seen.add((table, columns))
                continue
            assert referred in sharding.SUBJECT_KEYED, f"{table} refers to {referred}, which is neither sharded nor copied"
            pairs = dict(zip(columns, foreign["referred_columns"], strict=True))
            if pairs.get(column) != sharding.SUBJECT_KEYED[referred]:
                problems.append(f"{table}: foreign key {columns} -> {referred} does not join on the subject")
    assert problems == []
    assert exceptions_seen == set(sharding.CROSS_SHARD_KEYS), "an exception no longer needed: remove it"


def test_no_other_table_refers_to_a_subject_keyed_one(app):
    """A reference or local table pointing at a sharded one could not be enforced on any node."""
    inspector = inspect(db.engine)
    for table in _tables(inspector):
        if table in sharding.SUBJECT_KEYED or table == "alembic_version":
            continue
        referred = {foreign["referred_table"] for foreign in inspector.get_foreign_keys(table)}
        assert referred & set(sharding.SUBJECT_KEYED) == set(), table
