"""`consent-service`: the service's commands, parsed and listed without building the app or loading Flask's plugins."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup, ScriptInfo, load_dotenv, shell_command

from consent_service import create_cli_app
from consent_service.commands import service_commands
from consent_service.schema_migrations import DbCommands


class ServiceCommands(AppGroup):
    """The commands of `flask` with FLASK_APP=consent_service:create_cli_app, started lighter.

    `flask` imports every installed `flask.commands` plugin before anything else (flask-limiter's brings rich) and
    builds the app to list or find a command. This group knows the service's commands itself: `--help` and a
    command's parsing build nothing, and a command builds the commands' app when it runs (each is with_appcontext;
    `db` loads it from the ScriptInfo)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        extra.setdefault("obj", ScriptInfo(create_app=create_cli_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent=parent, **extra)


def command_line() -> ServiceCommands:
    """The `consent-service` group: every command of the service, `db` (Flask-Migrate) and Flask's `shell`."""
    group = ServiceCommands("consent-service", help="The consent service's commands (the same as `flask ...`).")
    for command in (*service_commands(), DbCommands(), shell_command):
        group.add_command(command)
    return group


def main() -> None:
    """The console script: the environment from .env/.flaskenv as `flask` reads it, then the command."""
    load_dotenv()
    command_line().main()
