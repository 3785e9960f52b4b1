"""`flask db` (Flask-Migrate over Alembic): bound at once to the web app, and to the commands' app when used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo


def bind_migrations(app: Flask) -> None:
    """Flask-Migrate on `app`, with the migrations of this service (tests and `flask db` migrate through it)."""
    from flask_migrate import Migrate

    from consent_service.extensions import db

    Migrate(app, db, directory=migrations_directory(), render_as_batch=True)


def migrations_directory() -> str:
    """migrations/ beside the package in a checkout, else in the working directory (Docker)."""
    beside_package = Path(__file__).resolve().parent.parent / "migrations"
    return str(beside_package if beside_package.is_dir() else Path.cwd() / "migrations")


class DbCommands(click.Command):
    """`flask db` in the commands' app: stands in for Flask-Migrate's group, which is imported (with Alembic, a tenth
    of a second) and bound only when a `db` command runs, so every other command starts without it."""

    def __init__(self) -> None:
        super().__init__("db", short_help="Perform database migrations.")

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        # Click runs the command of the context made here: Flask-Migrate's group, with its options and subcommands.
        return _flask_migrate_group(parent).make_context(info_name, args, parent=parent, **extra)


def _flask_migrate_group(ctx: click.Context | None) -> click.Group:
    if ctx is None:
        raise click.UsageError("`db` runs under the flask command")
    app = ctx.ensure_object(ScriptInfo).load_app()
    if "migrate" not in app.extensions:
        bind_migrations(app)
    # types-flask-migrate has no stub for the cli module.
    from flask_migrate.cli import db  # type: ignore[import-not-found]

    return db
