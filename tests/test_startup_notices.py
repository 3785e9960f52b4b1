"""The start-up warnings are said once per server by gunicorn's master, never while building an app (which every
worker and every `flask` command does); tests/e2e/test_make_run.py counts them in a real `make run`."""
from __future__ import annotations

import logging

from consent_service.config import Settings
from consent_service.startup_notices import startup_notices


def _settings(tmp_path, **environ: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **environ},
                             instance_path=str(tmp_path)).validated()


def test_generated_secrets_and_per_process_limits_are_named(tmp_path):
    notices = startup_notices(_settings(tmp_path), workers=3)
    assert notices == [
        f"using generated development secrets from {tmp_path / 'dev-secrets.json'} (never in production)",
        "rate limits are counted per worker process (RATELIMIT_STORAGE_URI=memory://): with 3 workers a client"
        " gets 3 times each limit; set RATELIMIT_STORAGE_URI=redis://host:6379/0 to share them",
    ]


def test_nothing_to_say_when_secrets_are_given_and_limits_shared_or_one_worker(tmp_path):
    given = {"SECRET_KEY": "s" * 40, "KEY_ENCRYPTION_KEYS": "Xq2Sx0uDeTzsT9pDk0cXbXv7B3Y0lQk2VbVb0zm1B0o=",
             "ERASURE_PEPPER": "p" * 40}
    assert startup_notices(_settings(tmp_path, **given, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"),
                           workers=4) == []
    assert startup_notices(_settings(tmp_path, **given), workers=1) == []
    assert startup_notices(_settings(tmp_path, **given, RATELIMIT_ENABLED="false"), workers=4) == []


def test_building_the_app_says_neither(app_with, tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        app_with(instance_path=str(tmp_path), secret_key="", erasure_pepper="", ratelimit_storage_uri="memory://")
    assert (tmp_path / "dev-secrets.json").exists()  # the secrets were generated, silently
    said = [record.getMessage() for record in caplog.records]
    assert not [line for line in said if "development secrets" in line or "per worker process" in line], said
