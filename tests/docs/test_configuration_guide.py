"""docs/configuration.md carries the settings tables `flask config docs` renders from consent_service/config.py:
current, and covering every variable the settings read."""
from __future__ import annotations

from pathlib import Path

import pytest

from consent_service.config import PROCESS_VARIABLES, ConfigError, Settings, declared_settings
from consent_service.settings_docs import BEGIN, DEFAULT_OUT, END, MarkersMissing, render, render_tables

REPOSITORY = Path(__file__).resolve().parents[2]
GUIDE = REPOSITORY / DEFAULT_OUT
COMMAND = "`flask config docs` from the repository root"


def test_the_guide_holds_the_tables_the_command_renders_now():
    guide = GUIDE.read_text(encoding="utf-8")
    assert render(guide) == guide, f"{DEFAULT_OUT} is stale (its settings tables differ from consent_service/config.py): " \
                                   f"run {COMMAND} and commit it"


def test_every_variable_is_in_the_tables_once():
    tables = render_tables()
    variables = [declared.variable for _, declared in declared_settings()] + [v.variable for v in PROCESS_VARIABLES]
    assert len(variables) == len(set(variables))
    for variable in variables:
        assert tables.count(f"| `{variable}` |") == 1, variable


def test_the_command_rewrites_only_the_tables(app, tmp_path):
    guide = tmp_path / "configuration.md"
    guide.write_text(f"# Intro kept\n\n{BEGIN}\n| old | table |\n{END}\n\nOutro kept.\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["config", "docs", "--out", str(guide)])
    assert result.exit_code == 0, result.output
    written = guide.read_text(encoding="utf-8")
    assert written.startswith(f"# Intro kept\n\n{BEGIN}\n\n| Variable |") and written.endswith(f"{END}\n\nOutro kept.\n")
    assert "| old | table |" not in written and "| `TOKEN_TTL_SECONDS` | integer | `3600` |" in written


def test_a_guide_without_its_markers_is_refused(app, tmp_path):
    guide = tmp_path / "configuration.md"
    guide.write_text("# Only prose\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["config", "docs", "--out", str(guide)])
    assert result.exit_code != 0 and "needs the lines" in result.output
    assert guide.read_text(encoding="utf-8") == "# Only prose\n"
    with pytest.raises(MarkersMissing):
        render(f"{END}\n{BEGIN}\n")


@pytest.mark.parametrize(("environ", "error"), [
    ({"TOKEN_TTL_SECONDS": "soon"}, "TOKEN_TTL_SECONDS must be an integer, got 'soon'"),
    ({"ADMIN_SESSION_TTL_SECONDS": "59"}, "ADMIN_SESSION_TTL_SECONDS must be at least 60, got 59"),
    ({"DEMO_PAGE": "maybe"}, "DEMO_PAGE must be true or false, got 'maybe'"),
    ({"CONSENT_ENV": "staging"}, "CONSENT_ENV must be one of development, testing, production, got 'staging'"),
    ({"DURABILITY_CHECK": "ignore"}, "DURABILITY_CHECK must be refuse or warn, got 'ignore'"),
    ({"BANNER_RATE_LIMIT_PER_IP": "lots"}, "BANNER_RATE_LIMIT_PER_IP must be a rate limit such as '60/minute', got 'lots'"),
])
def test_a_bad_value_stops_the_start_naming_its_variable(tmp_path, environ, error):
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(environ, instance_path=str(tmp_path)).validated()
    assert str(refused.value) == error


def test_blank_numbers_and_switches_fall_back_to_their_defaults_and_text_is_kept_as_set(tmp_path):
    settings = Settings.from_env({"CONSENT_ENV": "production", "TOKEN_TTL_SECONDS": "", "DEMO_PAGE": " ",
                                  "TOKEN_ISSUER": " https://consent.example/ ", "CONTROLLER_NAME": "",
                                  "SECRET_KEY_FALLBACKS": "a, b,,"}, instance_path=str(tmp_path))
    assert (settings.token_ttl_seconds, settings.demo_page, settings.webhook_allow_private_targets) == (3600, False, False)
    assert (settings.token_issuer, settings.controller_name) == ("https://consent.example", "")
    assert settings.secret_key_fallbacks == ("a", "b")
    development = Settings.from_env({"HOST": "0.0.0.0", "PORT": "9000"}, instance_path=str(tmp_path))
    assert development.token_issuer == "http://127.0.0.1:9000" and development.demo_page is True
    assert development.database_url == f"sqlite:///{tmp_path / 'consent.db'}"
