"""Helpers for the rights tests: record decisions through the API, run CLI commands."""
from __future__ import annotations

import pytest


@pytest.fixture
def record(client, auth):
    """record("customer", "c-1", [("marketing", "granted", "api")], **body) -> the JSON answer."""
    headers = auth("consents:write")

    def post(kind: str, subject_id: str, events: list[tuple[str, str, str]], **body) -> dict:
        payload = {
            "events": [{"purpose": p, "decision": d, "method": m} for p, d, m in events],
            "notice_version": "v1",
            **body,
        }
        response = client.post(f"/v1/subjects/{kind}/{subject_id}/consent-events", json=payload, headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return post


@pytest.fixture
def flask_cli(app):
    """flask_cli("ledger", "verify") -> click Result."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return invoke
