"""The review's attacks against a real gunicorn on PostgreSQL in production mode: none may succeed."""
from __future__ import annotations

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, unavailable
from tests.security import attack

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("url", [
    "http://10.0.0.1:8000", "http://192.168.1.10", "http://example.com", "http://[fe80::1]/", "http://169.254.169.254",
    "http://127.0.0.1.example.com", "http://0.0.0.0:8000",
])
def test_the_script_refuses_every_target_but_loopback(url):
    with pytest.raises(ValueError, match="loopback"):
        attack.require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://127.9.9.9", "http://[::1]:80", "http://localhost"])
def test_the_script_accepts_loopback(url):
    assert attack.require_loopback(url) == url


def test_no_attack_of_the_review_succeeds():
    try:
        import psycopg

        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server means "not available"
        unavailable("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc}")
    with attack.attacked_service(POSTGRES_ADMIN_URL) as target:
        outcomes = attack.run_all(target)
    succeeded = [f"[{o.finding}] {o.attempt}: {o.detail}" for o in outcomes if o.succeeded]
    assert len(outcomes) >= 40
    assert succeeded == []
