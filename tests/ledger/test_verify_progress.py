"""`flask ledger verify` and `flask reports rebuild` say how far they got on stderr; stdout keeps the answer."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.ledger import service as ledger


@pytest.fixture
def record(client, auth):
    headers = auth("consents:write")

    def post(external_id: str) -> None:
        answer = client.post(f"/v1/subjects/customer/{external_id}/consent-events", headers=headers,
                             json={"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}],
                                   "notice_version": "v1"})
        assert answer.status_code == 201, answer.json

    return post


def test_verify_reports_every_subject_done(record):
    for number in range(3):
        record(f"c-{number}")
    heard = []
    report = ledger.verify(session=db.session, progress=lambda done, total: heard.append((done, total)))
    assert not report.problems
    assert heard[-1] == (3, 3)


def test_the_commands_show_progress_on_stderr(app, record):
    record("c-1")
    runner = app.test_cli_runner()
    verified = runner.invoke(args=["ledger", "verify"], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    assert "verifying chains" in verified.stderr and verified.stdout.startswith("ledger ok: 1 chains")
    rebuilt = runner.invoke(args=["reports", "rebuild"], catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilding the rollup" in rebuilt.stderr and "took" in rebuilt.stderr
    assert rebuilt.stdout.startswith("rollup rebuilt: ")
