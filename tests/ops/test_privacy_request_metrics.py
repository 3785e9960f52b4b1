"""/metrics: the privacy request gauges are counted in the database at each scrape, in one process and in
gunicorn's multiprocess mode (a fresh registry per scrape)."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from consent_service.extensions import db
from consent_service.privacy_requests import service as privacy_requests
from consent_service.runtime import runtime
from tests.privacy_request_factory import file_request, refuse

GAUGES = ("privacy_requests_open", "privacy_requests_overdue", "privacy_requests_due_soon",
          "privacy_requests_median_days_to_close")


def gauges(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {sample.name: sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples if sample.name in GAUGES}


@pytest.fixture(params=["one process", "multiprocess"])
def scrape(request, client, tmp_path, monkeypatch):
    if request.param == "multiprocess":
        folder = tmp_path / "metrics"  # not tmp_path itself: the SQLite database is a .db file there too
        folder.mkdir()
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    return lambda: gauges(client)


def test_the_gauges_follow_the_queue_as_time_passes(scrape, clock):
    assert scrape() == {"privacy_requests_open": 0, "privacy_requests_overdue": 0, "privacy_requests_due_soon": 0}

    file_request(clock, type="access", country="BR")  # due in 15 days
    file_request(clock, type="access", country="DE")  # due in a month
    file_request(clock, type="deletion", country="DE", verified=True)  # completed at once
    clock.advance(days=4)
    refused = file_request(clock, type="access", country="DE")
    clock.advance(days=6)
    refuse(clock, refused.id, "Not the person's data")  # closed after 6 days
    assert scrape() == {"privacy_requests_open": 2, "privacy_requests_overdue": 0, "privacy_requests_due_soon": 1,
                        "privacy_requests_median_days_to_close": 3.0}

    clock.advance(days=6)  # 31 Jan: the LGPD request is a day late
    found = scrape()
    assert (found["privacy_requests_overdue"], found["privacy_requests_due_soon"]) == (1, 0)
    summary = privacy_requests.queue_summary(session=db.session, rules=runtime().rules.privacy_requests, now=clock())
    assert found == {"privacy_requests_open": summary.open, "privacy_requests_overdue": summary.overdue,
                     "privacy_requests_due_soon": summary.due_soon,
                     "privacy_requests_median_days_to_close": summary.median_days_to_close}
