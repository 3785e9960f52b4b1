"""`flask demo seed`: the demo key outlives restarts outside production, is replaced only on request, and any
replacement says which key it revoked."""
from __future__ import annotations

import stat

import pytest
from sqlalchemy import select

from consent_service.apikeys import service as apikeys
from consent_service.apikeys.models import ApiKey
from consent_service.errors import Unauthorized
from consent_service.extensions import db
from tests import run_logs
from tests.e2e.conftest import SECRET_KEY_PATTERN


@pytest.fixture
def seed(app_with, tmp_path):
    """seed(*options, env=...) -> (output, the key it printed); each call is a fresh app, as each `make run` is."""

    def run(*options: str, env: str = "testing"):
        extra = {"token_issuer": "https://consent.test"} if env == "production" else {}
        app = app_with(instance_path=str(tmp_path), env=env, **extra)
        result = app.test_cli_runner().invoke(args=["demo", "seed", *options], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        keys = SECRET_KEY_PATTERN.findall(result.output)
        assert len(keys) == 1, result.output
        run_logs.remember_secret("api_key", keys[0])
        return result.output, keys[0]

    return run


def _is_active(app_with, key: str) -> bool:
    with app_with().app_context():
        try:
            apikeys.authenticate(session=db.session, presented=key)
        except Unauthorized:
            return False
        return True


def test_a_second_seed_shows_the_same_key_and_revokes_nothing(seed, app_with, tmp_path):
    first, key = seed()
    assert "New demo secret key" in first and "Revoked" not in first
    key_file = tmp_path / "demo-key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again, same = seed()
    assert same == key
    assert "the same as before" in again and "Revoked" not in again
    assert _is_active(app_with, key)
    with app_with().app_context():  # the database still holds a hash only
        stored = db.session.scalars(select(ApiKey).where(ApiKey.name == "demo")).one()
        assert key not in (stored.secret_hash, stored.prefix)


def test_new_key_revokes_the_old_one_and_says_so(seed, app_with):
    _, old = seed()
    output, new = seed("--new-key")
    assert new != old
    assert f"Revoked the earlier demo key {old[:11]}" in output
    assert not _is_active(app_with, old) and _is_active(app_with, new)
    assert seed()[1] == new


def test_a_stored_key_that_no_longer_works_is_replaced(seed, app_with, clock, tmp_path):
    _, old = seed()
    with app_with().app_context():
        apikeys.revoke_key(session=db.session, prefix=old[:11], now=clock())
        db.session.commit()
    output, new = seed()
    assert new != old and "New demo secret key" in output
    assert (tmp_path / "demo-key").read_text().strip() == new


def test_a_file_tampered_with_is_not_trusted(seed, tmp_path):
    _, old = seed()
    (tmp_path / "demo-key").write_text(old[:-1] + ("A" if old[-1] != "A" else "B"))
    output, new = seed()
    assert new != old and f"Revoked the earlier demo key {old[:11]}" in output


def test_production_keeps_no_key_on_disk(seed, app_with, tmp_path):
    first_output, first = seed(env="production")
    second_output, second = seed(env="production")
    assert not (tmp_path / "demo-key").exists()
    assert "shown once" in first_output
    assert second != first and f"Revoked the earlier demo key {first[:11]}" in second_output
    assert not _is_active(app_with, first)

