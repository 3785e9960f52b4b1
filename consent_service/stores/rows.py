"""DriverRows: a hot statement's rows, all fetched, on either database (hot.py, postgres_driver.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import MultipleResultsFound, NoResultFound


class DriverRows:
    """The rows of a driver statement, all fetched (its cursor is closed): read as a Result's would be."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        row = self.one_or_none()
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row

    def scalar_one(self) -> Any:
        return self.one()[0]

    def all(self) -> list[Any]:
        return self._rows
