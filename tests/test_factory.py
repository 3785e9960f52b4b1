"""The app builds from test settings, and refuses to start on unsafe ones."""
from __future__ import annotations

import pytest

from consent_service import create_app
from consent_service.config import ConfigError


def test_app_builds_from_test_settings(app):
    assert app.testing
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_production_refuses_to_start_without_real_secrets(tmp_path):
    environ = {"CONSENT_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    with pytest.raises(ConfigError, match="SECRET_KEY, KEY_ENCRYPTION_KEYS, ERASURE_PEPPER must be set"):
        create_app(environ=environ)


def test_bad_key_encryption_key_is_named(tmp_path):
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "SECRET_KEY": "s" * 40, "KEY_ENCRYPTION_KEYS": "short"}
    with pytest.raises(ConfigError, match="KEY_ENCRYPTION_KEYS"):
        create_app(environ=environ)


def test_bad_integer_setting_is_named(tmp_path):
    with pytest.raises(ConfigError, match="TOKEN_TTL_SECONDS"):
        create_app(environ={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "TOKEN_TTL_SECONDS": "soon"})


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app(environ={"DATABASE_URL": "postgres://u@localhost/db", "SECRET_KEY": "s" * 40,
                              "KEY_ENCRYPTION_KEYS": "x" * 43 + "="})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/db"
