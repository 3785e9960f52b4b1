"""Concurrent banner choices, and a rebuild running among them, leave the rollup equal to the ledger."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from consent_service.extensions import db
from consent_service.reports import service as reports
from consent_service.reports.service import GroupBy
from tests.banner.conftest import ORIGIN

WRITERS = 6
CHOICES_PER_WRITER = 8
REBUILDS = 3
METHODS = {"banner_accept_all": {"preferences": True, "analytics": True, "advertising": True},
           "banner_reject_all": {"preferences": False, "analytics": False, "advertising": False},
           "banner_custom": {"analytics": True}}


def test_concurrent_choices_and_rebuilds_lose_no_count(app, prop, banner, clock):
    config = banner()
    url = f"/v1/banner/{prop.publishable_key}/consents"

    def choose(writer: int) -> list[int]:
        client = app.test_client()
        statuses = []
        for n in range(CHOICES_PER_WRITER):
            method = list(METHODS)[(writer + n) % 3]
            body = {"choices": METHODS[method], "method": method, "notice_version": config["notice"]["version"],
                    "banner_version": config["banner_version"], "gpc": n % 2 == 0}
            statuses.append(client.post(url, json=body, headers={"Origin": ORIGIN}).status_code)
        return statuses

    def rebuild(_: int) -> int:
        with app.app_context():
            written = reports.rebuild_rollups(session=db.session)
            db.session.commit()
            db.session.remove()
            return written

    with ThreadPoolExecutor(WRITERS + 1) as pool:
        writing = [pool.submit(choose, writer) for writer in range(WRITERS)]
        rebuilt = list(pool.map(rebuild, range(REBUILDS)))
        statuses = [status for future in writing for status in future.result()]

    assert statuses == [201] * WRITERS * CHOICES_PER_WRITER and len(rebuilt) == REBUILDS
    day = clock().date()
    db.session.expire_all()
    answer = reports.consent_rates(session=db.session, start=day, end=day, group_by=GroupBy.METHOD)
    assert sum(split.total for split in answer.choices) == WRITERS * CHOICES_PER_WRITER
    assert answer == reports.recompute(session=db.session, start=day, end=day, group_by=GroupBy.METHOD)
