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


PRODUCTION = {"CONSENT_ENV": "production", "SECRET_KEY": "s" * 40, "KEY_ENCRYPTION_KEYS": "x" * 43 + "=",
              "ERASURE_PEPPER": "p" * 40}


@pytest.mark.parametrize("issuer", [
    None, "", "http://0.0.0.0:8000", "https://0.0.0.0", "http://[::]:8000", "http://consent.example.com",
    "ftp://consent.example.com", "https://", "https://user:pw@consent.example.com", "https://consent.example.com/?a=b",
    "consent.example.com",
])
def test_production_refuses_to_start_without_a_public_base_url(tmp_path, issuer):
    # The Dockerfile binds HOST=0.0.0.0: without TOKEN_ISSUER, tokens and mailed links named http://0.0.0.0:8000.
    environ = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "HOST": "0.0.0.0"}
    if issuer is not None:
        environ["TOKEN_ISSUER"] = issuer
    with pytest.raises(ConfigError, match="TOKEN_ISSUER"):
        create_app(environ=environ)


@pytest.mark.parametrize("issuer", ["https://consent.example.com", "https://consent.example.com/consent/",
                                    "http://127.0.0.1:8000", "http://localhost:8000"])
def test_production_starts_with_an_https_or_loopback_base_url(tmp_path, issuer):
    app = create_app(environ={**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "TOKEN_ISSUER": issuer,
                              "DURABILITY_CHECK": "warn"})
    from consent_service.runtime import runtime
    with app.app_context():
        assert runtime().settings.token_issuer == issuer.rstrip("/")


def test_development_on_a_wildcard_bind_names_loopback(tmp_path):
    app = create_app(environ={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "HOST": "0.0.0.0", "PORT": "8123"})
    from consent_service.runtime import runtime
    with app.app_context():
        assert runtime().settings.token_issuer == "http://127.0.0.1:8123"


def test_compose_asks_for_the_public_base_url():
    import yaml
    from pathlib import Path

    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
    for name in ("web", "webhooks", "migrate"):
        assert compose["services"][name]["environment"]["TOKEN_ISSUER"].startswith("${TOKEN_ISSUER:?")
