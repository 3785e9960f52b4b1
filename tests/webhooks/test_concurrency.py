"""Several workers share the outbox: no delivery is sent twice, each subject stays in order."""
from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from consent_service.extensions import db

SUBJECTS = 8
REVISIONS = 5
WORKERS = 3


def revisions_by_subject(requests) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = defaultdict(list)
    for request in requests:
        data = request.event["data"]
        seen[data["subject"]["id"]].append(data["revision"])
    return dict(seen)


def test_concurrent_workers_never_send_one_delivery_twice(app, receiver, make_endpoint, make_worker, record):
    make_endpoint(receiver.url)
    for _ in range(REVISIONS):
        for subject in range(SUBJECTS):
            assert record(f"s-{subject}").status_code == 201
    total = SUBJECTS * REVISIONS
    receiver.delay = 0.005  # long enough for claims to overlap

    def work(_: int) -> int:
        with app.app_context():
            worker = make_worker(batch=3, concurrency=2)
            claimed = 0
            deadline = time.monotonic() + 60
            while len(receiver.requests) < total and time.monotonic() < deadline:
                batch = worker.run_batch()
                claimed += batch
                if not batch:
                    time.sleep(0.005)
            db.session.remove()
            return claimed

    with ThreadPoolExecutor(WORKERS) as pool:
        claimed = list(pool.map(work, range(WORKERS)))

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == total and len(set(ids)) == total  # every event once, none twice
    assert sum(claimed) == total and all(claimed), claimed  # and the work was shared
    expected = list(range(1, REVISIONS + 1))
    assert revisions_by_subject(receiver.requests) == {f"s-{s}": expected for s in range(SUBJECTS)}
