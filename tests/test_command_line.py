"""`consent-service`: the commands of `flask` with the commands' app, listed and parsed without building the app or
loading Flask's plugins, each building the commands' app when it runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from consent_service import create_app
from consent_service.cli import command_line
from consent_service.extensions import db
from tests.conftest import ENCRYPTION_KEY, settings_for
from tests.test_commands import command_paths

ROOT = Path(__file__).resolve().parents[1]
# What pip writes for the console script consent-service = "consent_service.cli:main".
CONSOLE_SCRIPT = "import sys; from consent_service.cli import main; sys.exit(main())"
# What `--help` and parsing need none of: the database layer and the models, the domains, and flask-limiter's
# `flask limiter` plugin (with rich), which `flask` imports before any command.
NOT_FOR_HELP = ("sqlalchemy", "flask_sqlalchemy", "consent_service.extensions", "consent_service.models",
                "consent_service.config", "consent_service.runtime", "consent_service.apikeys.service",
                "consent_service.ledger.service", "flask_limiter", "rich", "limits")
# What a command that reads no consent (keys list) runs without: the consent domain and its flows (the consent store
# is made on first use), and flask-limiter with rich.
NOT_FOR_KEYS_LIST = ("consent_service.consents.service", "consent_service.flows", "consent_service.ledger.service",
                     "flask_limiter", "rich")


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "CONSENT_ENV": "testing", "DATABASE_URL": database_url,
            "SECRET_KEY": "command-line-secret-key-long-enough-for-production", "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
            "ERASURE_PEPPER": "command-line-erasure-pepper-long-enough-for-production",
            "TOKEN_ISSUER": "http://consent.test"}


def consent_service(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CONSOLE_SCRIPT, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def modules_after(env: dict[str, str], *args: str) -> tuple[set[str], str]:
    """The modules a fresh interpreter holds after `consent-service ARGS`, and what the command printed."""
    probe = ("import json, sys; from consent_service.cli import command_line; "
             f"code = command_line().main({list(args)!r}, standalone_mode=False); "
             "print(json.dumps(sorted(sys.modules))); sys.exit(code or 0)")
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    *output, modules = done.stdout.splitlines()
    return set(json.loads(modules)), "\n".join(output)


def loaded(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {module for module in modules if any(module == p or module.startswith(p + ".") for p in packages)}


def listed_commands(help_text: str) -> set[str]:
    section = help_text.split("Commands:\n", 1)[1]
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.strip()}


def test_help_lists_every_command_of_the_commands_app_without_building_it(tmp_path):
    modules, help_text = modules_after(environment(f"sqlite:///{tmp_path}/never.db"), "--help")
    assert loaded(modules, NOT_FOR_HELP) == set()
    assert not (tmp_path / "never.db").exists()  # no app, so no engine ever touched the database
    app = create_app(settings_for(f"sqlite:///{tmp_path}/consent.db"), serve_http=False)
    # Flask's `shell` too; not its `run` and `routes` (the commands' app serves nothing), nor plugins (`limiter`).
    assert listed_commands(help_text) == set(app.cli.commands) | {"shell"}


def test_every_command_shows_its_help_without_the_app(tmp_path):
    app = create_app(settings_for(f"sqlite:///{tmp_path}/consent.db"), serve_http=False)
    runner = CliRunner()
    for path in command_paths(app.cli):
        result = runner.invoke(command_line(), [*path, "--help"], env=environment(f"sqlite:///{tmp_path}/consent.db"))
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: consent-service " + " ".join(path) in result.output


def test_keys_list_runs_without_the_consent_domain_or_flask_limiter(database_url):
    env = environment(database_url)
    created = consent_service(env, "keys", "create", "--name", "cli-check", "--scope", "consents:read")
    assert created.returncode == 0, created.stderr[-2000:]
    prefix = created.stdout.strip()[:11]
    modules, listing = modules_after(env, "keys", "list", "--json")
    assert [key["prefix"] for key in json.loads(listing) if key["name"] == "cli-check"] == [prefix]
    assert loaded(modules, NOT_FOR_KEYS_LIST) == set()


def test_a_command_on_a_database_never_migrated_says_to_run_db_upgrade(empty_database):
    done = consent_service(environment(empty_database), "keys", "list")
    assert done.returncode == 1
    assert "the database has no tables: run `flask db upgrade`" in done.stderr
    assert "Traceback" not in done.stderr


def test_db_upgrade_migrates_through_it(empty_database):
    env = environment(empty_database)
    done = consent_service(env, "db", "upgrade")
    assert done.returncode == 0, done.stderr[-2000:]
    app = create_app(settings_for(empty_database), serve_http=False)
    with app.app_context():
        from sqlalchemy import inspect

        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
