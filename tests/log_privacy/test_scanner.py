"""The scan finds what a planted leak looks like, and leaves redacted lines alone."""
from __future__ import annotations

import json

import pytest

from consent_service.logs import redact
from tests import run_logs
from tests.log_privacy.scan import scan

pytestmark = pytest.mark.log_privacy  # runs with the scan, after the run (conftest.py)

KEY = "sk_ab12cd34_" + "Q" * 40
TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjdXN0b21lcjpqYW5lIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
SIGNED_LINK = "Wk5aTjE.ZxK3Yw.n0t-a-jwt-but-secret"  # no shape to recognize: only the record finds it
EMAIL = "jane.doe@example.org"
IP = "203.0.113.77"
IPV6 = "2001:db8:85a3::8a2e:370:7334"


def plant(folder, app_lines: list[str], gunicorn_lines: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / run_logs.APP_LOG).write_text("".join(line + "\n" for line in app_lines))
    (folder / f"00001-gunicorn{run_logs.SERVICE_LOG_SUFFIX}").write_text("".join(line + "\n" for line in gunicorn_lines))
    (folder / run_logs.SECRETS).write_text(
        "".join(f"{kind}\t{value}\n" for kind, value in
                [("api_key", KEY), ("token", TOKEN), ("signed_link", SIGNED_LINK), ("email", EMAIL), ("ip", IP),
                 ("ip", IPV6)]))


def test_every_kind_of_planted_leak_is_found(tmp_path):
    plant(tmp_path, [
        json.dumps({"message": "GET /v1/purposes 401", "authorization": f"Bearer {KEY}"}),
        json.dumps({"message": "served", "client": IP}),
        json.dumps({"message": f"link /preferences/{SIGNED_LINK}"}),
        json.dumps({"message": f"peer {IPV6} connected"}),
    ], [
        "[2026-11-25 10:00:00 +0000] [42] [ERROR] Error handling request",
        "Traceback (most recent call last):",
        f"sqlalchemy.exc.IntegrityError: duplicate key (external_id)=({EMAIL})",
        f"token={TOKEN}",
        "unknown sender someone.else@example.net at 198.51.100.9",
    ])
    found = {(leak.file, leak.line, leak.kind) for leak in scan(tmp_path)}
    app, gunicorn = run_logs.APP_LOG, f"00001-gunicorn{run_logs.SERVICE_LOG_SUFFIX}"
    assert {(app, 1, "api_key"), (app, 2, "ip"), (app, 3, "signed_link"), (app, 4, "ip"),
            (gunicorn, 3, "email"), (gunicorn, 4, "token"), (gunicorn, 5, "email"), (gunicorn, 5, "ip")} <= found
    assert all(leak.shown and len(leak.shown) <= 6 for leak in scan(tmp_path))  # never repeats a whole secret


def test_redacted_lines_and_harmless_addresses_pass(tmp_path):
    plant(tmp_path, [
        redact(f"GET with {KEY} from {IP} by {EMAIL} holding {TOKEN} and {IPV6}"),
        json.dumps({"message": "GET /healthz 200", "client_network": "203.0.113.0", "time": "09:30:00"}),
    ], [
        "[2026-11-25 10:00:00 +0000] [42] [INFO] Listening at: http://127.0.0.1:8000 (42)",
        "[2026-11-25 10:00:00 +0000] [42] [INFO] Starting gunicorn 23.0.0",
    ])
    assert scan(tmp_path) == []
