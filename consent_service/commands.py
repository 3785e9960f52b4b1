"""The service's `flask` commands, added to an app; each says plainly, not in a traceback, that a database was
never migrated."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo


def register(app: Flask) -> None:
    """Every command of the service on `app.cli`."""
    for command in service_commands():
        app.cli.add_command(command)


@functools.cache
def service_commands() -> tuple[click.Command, ...]:
    """The commands, each callback wrapped once per process (the command objects are the modules' own)."""
    from consent_service.apikeys.cli import keys
    from consent_service.demo.cli import demo
    from consent_service.frameworks.cli import tcf_group
    from consent_service.ledger.cli import ledger_group
    from consent_service.mail.cli import mail_group
    from consent_service.properties.cli import properties_group
    from consent_service.regimes.cli import rules_group
    from consent_service.reports.cli import reports_group
    from consent_service.retention.cli import retention_group
    from consent_service.scanner.cli import scan_command, scans_group
    from consent_service.settings_docs import config_group
    from consent_service.signing_keys.cli import signing_keys
    from consent_service.subjects.cli import subjects_group
    from consent_service.webhooks.cli import webhooks_group

    commands = (
        keys,
        signing_keys,
        properties_group,
        demo,
        webhooks_group,
        mail_group,
        ledger_group,
        retention_group,
        reports_group,
        subjects_group,
        rules_group,
        config_group,
        scan_command,
        scans_group,
        tcf_group,
    )
    for command in commands:
        _say_when_unmigrated(command)
    return commands


def _say_when_unmigrated(command: click.Command) -> None:
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _say_when_unmigrated(subcommand)
    elif command.callback is not None:
        command.callback = _unmigrated_said(command.callback)


def _unmigrated_said(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        # Here, not with the module: listing and parsing the commands needs no SQLAlchemy; running one does.
        from sqlalchemy.exc import DBAPIError

        try:
            return callback(*args, **kwargs)
        except DBAPIError:  # a missing table is OperationalError on SQLite, ProgrammingError on PostgreSQL
            said = unmigrated_database()
            if said is None:
                raise
            raise click.ClickException(said) from None

    return run


def unmigrated_database() -> str | None:
    """What to tell the operator when the app's database lacks tables this code reads, or None when it has them
    all. It looks at the database only after a command failed, so no command pays for the check."""
    from sqlalchemy import inspect

    from consent_service.extensions import db

    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        present = set(inspect(db.engine).get_table_names())
    missing = sorted(set(db.metadata.tables) - present)
    if not missing:
        return None
    if len(missing) == len(db.metadata.tables):
        return "the database has no tables: run `flask db upgrade`"
    return f"the database lacks tables of this version ({', '.join(missing)}): run `flask db upgrade`"
