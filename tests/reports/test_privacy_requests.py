"""GET /v1/reports/privacy-requests: the queue now, the requests closed in a period and their median days to close,
per type; admin only; field errors for a bad period."""
from __future__ import annotations

from datetime import date

import pytest

from consent_service.extensions import db
from consent_service.privacy_requests import service as privacy_requests
from consent_service.runtime import runtime
from tests.privacy_request_factory import file_request, refuse

URL = "/v1/reports/privacy-requests"
ZERO = {"open": 0, "overdue": 0, "due_soon": 0, "closed": 0, "median_days_to_close": None}
TYPES = {"access", "deletion", "correction", "restriction", "objection", "opt_out_of_sale", "withdrawal"}


@pytest.fixture
def admin(auth):
    return auth("admin")


def report(client, headers, **query) -> dict:
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_only_admin_keys_read_it(client, auth):
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=auth("consents:read")).status_code == 403


def test_open_overdue_due_soon_now_and_closed_in_the_period(client, admin, clock):
    access = file_request(clock, type="access", country="DE")  # 15 Jan, open
    file_request(clock, type="correction", country="BR")  # open, due 30 Jan
    deletion = file_request(clock, type="deletion", country="DE", verified=True)  # completed at once: 0 days
    assert deletion.status == "completed"
    clock.advance(days=5)
    refuse(clock, access.id, "Manifestly unfounded")  # closed after 5 days
    clock.advance(days=8)  # 28 Jan: the correction is due in two days
    file_request(clock, type="access", country="US", region="US-CA")

    body = report(client, admin, start="2026-01-01", end="2026-01-31")

    assert (body["start"], body["end"]) == ("2026-01-01", "2026-01-31")
    assert {k: body[k] for k in ZERO} == {"open": 2, "overdue": 0, "due_soon": 1, "closed": 2,
                                          "median_days_to_close": 2.5}
    assert set(body["by_type"]) == TYPES
    assert body["by_type"]["access"] == {**ZERO, "open": 1, "closed": 1, "median_days_to_close": 5.0}
    assert body["by_type"]["correction"] == {**ZERO, "open": 1, "due_soon": 1}
    assert body["by_type"]["deletion"] == {**ZERO, "closed": 1, "median_days_to_close": 0.0}
    assert body["by_type"]["withdrawal"] == ZERO
    # The queue's counts are the service's (the console and /metrics read the same).
    summary = privacy_requests.queue_summary(session=db.session, rules=runtime().rules.privacy_requests, now=clock())
    assert (summary.open, summary.overdue, summary.due_soon) == (body["open"], body["overdue"], body["due_soon"])

    # The period picks the closed ones by the UTC day they were closed on.
    later = report(client, admin, start="2026-01-16", end="2026-01-31")
    assert (later["closed"], later["median_days_to_close"]) == (1, 5.0)
    first_day = report(client, admin, start="2026-01-15", end="2026-01-15")
    assert (first_day["closed"], first_day["median_days_to_close"], first_day["open"]) == (1, 0.0, 2)
    before = report(client, admin, start="2025-12-01", end="2026-01-14")
    assert (before["closed"], before["median_days_to_close"]) == (0, None)

    clock.advance(days=3)  # 31 Jan: the correction is a day late
    now = report(client, admin, start="2026-01-01", end="2026-01-31")
    assert (now["overdue"], now["due_soon"], now["by_type"]["correction"]["overdue"]) == (1, 0, 1)


def test_the_period_defaults_to_the_last_thirty_days(client, admin, clock):
    body = report(client, admin)
    today = clock().date()
    assert (body["start"], body["end"]) == (date(2025, 12, 17).isoformat(), today.isoformat())
    assert {k: body[k] for k in ZERO} == ZERO


@pytest.mark.parametrize("query, field", [
    ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
    ({"start": "2026-13-01"}, "start"),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ({"from": "2026-01-01"}, "from"),
])
def test_a_bad_period_is_a_field_error(client, admin, query, field):
    response = client.get(URL, query_string=query, headers=admin)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_the_openapi_document_describes_it(client):
    spec = client.get("/openapi.json").json
    operation = spec["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {"start", "end"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert {"open", "overdue", "due_soon", "closed", "median_days_to_close", "by_type"} <= set(
        spec["components"]["schemas"][name]["properties"])
