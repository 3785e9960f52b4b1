"""Lists printed by `flask` commands: a header over aligned columns for people, or JSON for programs (--json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

GAP = "  "

json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON array of objects instead of a table.")


def echo_rows(columns: Sequence[str], rows: Sequence[dict[str, Any]], *, as_json: bool) -> None:
    """`rows` (dicts keyed by `columns`) as a table under the column names in capitals, or as JSON as they are.

    In the table, lists are joined with commas and None shows as '-'."""
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False))
        return
    cells = [[column.upper() for column in columns]] + [[_cell(row[column]) for column in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    for line in cells:
        click.echo(GAP.join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)
