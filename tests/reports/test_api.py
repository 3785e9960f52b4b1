"""GET /v1/reports/consent-rates: admin only, filters, periods, groups, CSV, and field errors for bad input."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.reports.models import ConsentRollup

URL = "/v1/reports/consent-rates"
ALL = {"preferences": True, "analytics": True, "advertising": True}
NONE = {"preferences": False, "analytics": False, "advertising": False}
TODAY = date(2026, 1, 15)  # the clock fixture's first day, a Thursday


@pytest.fixture
def admin(auth):
    return auth("admin")


@pytest.fixture
def write(client, auth):
    """write("c-1", [(purpose, decision, method)], **body): record through the API."""
    headers = auth("consents:write")

    def post(subject_id, events, **body):
        payload = {"events": [{"purpose": p, "decision": d, "method": m} for p, d, m in events],
                   "notice_version": "v1", **body}
        response = client.post(f"/v1/subjects/customer/{subject_id}/consent-events", json=payload, headers=headers)
        assert response.status_code == 201, response.json
    return post


def report(client, headers, **query):
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def stored() -> tuple:
    db.session.expire_all()
    rollup = sorted(tuple(row) for row in db.session.execute(select(ConsentRollup.__table__)))
    return rollup, db.session.scalar(select(func.count()).select_from(ConsentEvent))


def test_only_admin_keys_read_reports(client, auth):
    missing = client.get(URL)
    assert missing.status_code == 401 and missing.json["code"] == "unauthorized"
    wrong = client.get(URL, headers=auth("consents:read", "consents:write"))
    assert wrong.status_code == 403 and wrong.json["code"] == "forbidden"
    assert client.get(URL, headers=auth("admin")).status_code == 200


def test_banner_choices_and_api_events_give_rates_and_the_choice_split(client, admin, choose, prop, write):
    assert choose(ALL, method="banner_accept_all", gpc=True).status_code == 201
    assert choose(NONE, method="banner_reject_all").status_code == 201
    assert choose({"analytics": True}, method="banner_custom").status_code == 201
    write("c-1", [("marketing", "granted", "api")], property=prop.publishable_key, country="DE")
    write("c-2", [("analytics", "denied", "api")], country="FR")  # another property's (none): filtered out

    body = report(client, admin, property=prop.publishable_key)

    assert (body["from"], body["to"]) == ((TODAY - timedelta(days=29)).isoformat(), TODAY.isoformat())
    assert (body["interval"], body["group_by"], body["property"], body["purpose"]) == ("day", None, prop.publishable_key, None)
    rates = {r["purpose"]: r for r in body["rates"]}
    # accept all (with GPC: advertising refused by the signal), reject all, custom (analytics only)
    assert {p: (r["granted"], r["denied"], r["withdrawn"]) for p, r in rates.items()} == {
        "advertising": (0, 3, 0), "analytics": (2, 1, 0), "marketing": (1, 0, 0), "preferences": (1, 2, 0),
    }
    assert rates["analytics"]["opt_in_rate"] == pytest.approx(2 / 3)
    assert all(r["period_start"] == TODAY.isoformat() and r["group"] is None for r in body["rates"])
    assert body["choices"] == [{
        "period_start": TODAY.isoformat(), "group": None, "accept_all": 1, "reject_all": 1, "custom": 1, "total": 3,
        "accept_all_share": pytest.approx(1 / 3), "reject_all_share": pytest.approx(1 / 3),
        "custom_share": pytest.approx(1 / 3),
    }]
    assert report(client, admin, property=prop.id) == body  # the property's id names it as well
    everything = report(client, admin)
    assert {r["purpose"]: r["denied"] for r in everything["rates"]}["analytics"] == 2
    only = report(client, admin, property=prop.publishable_key, purpose="advertising")
    assert [r["purpose"] for r in only["rates"]] == ["advertising"] and only["choices"] == body["choices"]


def test_intervals_start_on_the_day_the_monday_and_the_first_of_the_month(client, admin, clock, write):
    for moment in ("2026-01-31T10:00:00", "2026-02-01T10:00:00", "2026-02-02T10:00:00"):
        clock.current = datetime.fromisoformat(moment + "+00:00")
        write(f"c-{moment}", [("marketing", "granted", "api")])
    window = {"from": "2026-01-01", "to": "2026-02-28"}

    def starts(interval):
        return [(r["period_start"], r["granted"]) for r in report(client, admin, interval=interval, **window)["rates"]]

    assert starts("day") == [("2026-01-31", 1), ("2026-02-01", 1), ("2026-02-02", 1)]
    assert starts("week") == [("2026-01-26", 2), ("2026-02-02", 1)]  # Sat 31 and Sun 1 are in Monday 26's week
    assert starts("month") == [("2026-01-01", 1), ("2026-02-01", 2)]
    assert report(client, admin, **{"from": "2026-02-01", "to": "2026-02-01"})["rates"][0]["granted"] == 1


@pytest.mark.parametrize(("group_by", "groups"), [
    ("country", {"DE", "FR", "US", "unknown"}),
    ("language", {"de", "unknown"}),  # only the banner knows the language
    ("regime", {"opt_in", "opt_out"}),
    ("method", {"api", "written", "banner_accept_all"}),
])
def test_group_by_each_dimension(client, admin, write, banner, choose, group_by, groups):
    write("c-1", [("marketing", "granted", "api")], country="DE")
    write("c-2", [("marketing", "denied", "written")], country="FR")
    write("c-3", [("marketing", "withdrawn", "api")], country="US")
    write("c-4", [("marketing", "granted", "api")])
    assert choose(ALL, method="banner_accept_all", config=banner(lang="de")).status_code == 201

    body = report(client, admin, group_by=group_by)

    assert body["group_by"] == group_by
    assert {r["group"] for r in body["rates"]} == groups
    assert sum(r["granted"] + r["denied"] + r["withdrawn"] for r in body["rates"]) == 7
    [choices] = [c for c in body["choices"] if c["total"]]
    assert choices["accept_all"] == 1
    assert choices["group"] == {"country": "unknown", "language": "de", "regime": "opt_in",
                                "method": "banner_accept_all"}[group_by]


def test_csv_has_a_rate_row_per_purpose_and_a_choices_row(client, admin, choose, prop):
    choose(ALL, method="banner_accept_all")
    choose({"analytics": True}, method="banner_custom")

    response = client.get(URL, query_string={"property": prop.publishable_key},
                          headers={**admin, "Accept": "text/csv"})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consent-rates_2025-12-17_2026-01-15.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    rates = {row["purpose"]: row for row in rows if row["row"] == "rate"}
    assert set(rates) == {"preferences", "analytics", "advertising"}
    assert (rates["analytics"]["granted"], rates["analytics"]["denied"], rates["analytics"]["opt_in_rate"]) == ("2", "0", "1.0000")
    assert (rates["preferences"]["granted"], rates["preferences"]["denied"], rates["preferences"]["opt_in_rate"]) == ("1", "1", "0.5000")
    assert rates["analytics"]["accept_all"] == "" and rates["analytics"]["period_start"] == "2026-01-15"
    [choices] = [row for row in rows if row["row"] == "choices"]
    assert (choices["accept_all"], choices["reject_all"], choices["custom"], choices["total"]) == ("1", "0", "1", "2")
    assert (choices["accept_all_share"], choices["custom_share"], choices["purpose"]) == ("0.5000", "0.5000", "")
    json_body = client.get(URL, query_string={"property": prop.publishable_key}, headers=admin)
    assert json_body.mimetype == "application/json"


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-01-10", "to": "2026-01-09"}, "to"),
    ({"from": "2026-01-16"}, "to"),  # after today, where `to` defaults
    ({"from": "2020-01-01", "to": "2026-01-15"}, "to"),  # more than three years
    ({"interval": "year"}, "interval"),
    ({"group_by": "device"}, "group_by"),
    ({"purpose": "Not A Key"}, "purpose"),
    ({"purpose": "nonexistent_purpose"}, "purpose"),
    ({"property": "pk_nope"}, "property"),
    ({"property": "prop_nope"}, "property"),
    ({"property": "x" * 65}, "property"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_arguments_are_field_errors_and_change_nothing(client, admin, write, query, field):
    write("c-1", [("marketing", "granted", "api")])
    before = stored()

    response = client.get(URL, query_string=query, headers=admin)

    assert response.status_code == 422, response.json
    assert response.json["code"] in ("validation_error", "unknown_purpose")
    assert list(response.json["errors"]) == [field]
    assert stored() == before


def test_the_report_is_documented_as_json_and_csv(client):
    operation = client.get("/openapi.json").json["paths"][URL]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"401", "403", "422"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"property", "purpose", "from", "to", "interval", "group_by"}
