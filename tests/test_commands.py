"""The `flask` commands' app (create_app(serve_http=False)): the web app's commands and settings without its HTTP
layer, and a plain answer on a database never migrated."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import inspect

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.extensions import db
from tests.conftest import settings_for

ROOT = Path(__file__).resolve().parents[1]
# Imported only for requests or for `flask db`: a command that needs none of them starts without them.
LEFT_OUT = ("flask_migrate", "alembic", "psycopg", "flask_compress", "flask_smorest", "marshmallow", "apispec",
            "consent_service.openapi", "consent_service.compression",
            "consent_service.ratelimits", "consent_service.security_headers", "consent_service.openapi_fields")
HTTP_MODULE_NAMES = ("api", "pages", "views", "site")  # blueprints, by the house's file names


def modules_loaded_building(tmp_path: Path, *, serve_http: bool) -> set[str]:
    """The modules a fresh interpreter holds after building the app (a subprocess: this one has them all)."""
    probe = ("import json, sys; from consent_service import create_app; "
             f"create_app(serve_http={serve_http}); print(json.dumps(sorted(sys.modules)))")
    env = {**os.environ, "CONSENT_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/probe.db"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def http_layer(modules: set[str]) -> set[str]:
    blueprints = {name for name in modules
                  if name.startswith("consent_service.") and name.rsplit(".", 1)[-1] in HTTP_MODULE_NAMES}
    return blueprints | {name for name in modules if name.split(".")[0] in LEFT_OUT or name in LEFT_OUT}


def test_the_commands_app_is_built_without_the_http_layer_the_web_app_has(tmp_path):
    web = http_layer(modules_loaded_building(tmp_path, serve_http=True))
    assert {"consent_service.consents.api", "consent_service.console.views", "flask_migrate", "alembic"} <= web
    assert http_layer(modules_loaded_building(tmp_path, serve_http=False)) == set()


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


def test_every_command_of_the_web_app_is_in_the_commands_app_and_shows_its_help(tmp_path):
    overrides = settings_for(f"sqlite:///{tmp_path}/consent.db")
    web = create_app(overrides)
    commands = create_app(overrides, serve_http=False)
    # flask-smorest's `openapi print|write` prints the routes' document: FLASK_APP=wsgi, with the routes.
    assert set(web.cli.commands) - set(commands.cli.commands) == {"openapi"}
    assert set(commands.cli.commands) <= set(web.cli.commands)
    # The web app's `db` is Flask-Migrate's group itself, so its subcommands are listed too.
    paths = [path for path in command_paths(web.cli) if path[0] != "openapi"]
    assert ("db", "upgrade") in paths and ("keys", "list") in paths and ("scan",) in paths
    runner = commands.test_cli_runner()
    for path in paths:
        result = runner.invoke(args=[*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


@pytest.mark.parametrize("serve_http", [True, False])
def test_both_apps_refuse_production_without_real_secrets(tmp_path, serve_http):
    environ = {"CONSENT_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    with pytest.raises(ConfigError, match="SECRET_KEY, KEY_ENCRYPTION_KEYS, ERASURE_PEPPER must be set"):
        create_app(environ=environ, serve_http=serve_http)


def test_flask_db_in_the_commands_app_migrates(tmp_path):
    app = create_app(settings_for(f"sqlite:///{tmp_path}/consent.db"), serve_http=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        migrated = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(db.metadata.tables) | {"alembic_version"} <= migrated
    assert runner.invoke(args=["keys", "list"]).exit_code == 0


@pytest.mark.parametrize("args", [("keys", "list"), ("demo", "seed"), ("ledger", "verify"), ("webhooks", "deliveries")])
def test_a_command_on_a_database_never_migrated_says_to_run_db_upgrade(empty_database, args):
    app = create_app(settings_for(empty_database), serve_http=False)
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 1
    assert "the database has no tables: run `flask db upgrade`" in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    with app.app_context():
        db.engine.dispose()


def test_a_command_on_a_database_an_upgrade_behind_names_the_missing_tables(empty_database):
    app = create_app(settings_for(empty_database, smtp_url="smtp://127.0.0.1:1", smtp_from="privacy@example.com"), serve_http=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0025_privacy_requests"]).exit_code == 0  # before the mail outbox
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1, result.output
    assert "the database lacks tables of this version (outgoing_mails): run `flask db upgrade`" in result.output
    with app.app_context():
        db.engine.dispose()
