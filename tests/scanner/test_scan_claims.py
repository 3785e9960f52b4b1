"""Several scanner workers share the queue: each scan is claimed by one of them, never by two."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.scanner import service as scanner

SCANS = 12
WORKERS = 3


def test_concurrent_workers_never_claim_one_scan_twice(app, clock):
    queued = []
    for number in range(SCANS):
        origin = f"https://shop{number}.example"
        prop = properties.create_property(session=db.session, name=f"Shop {number}", allowed_origins=[origin],
                                          notice_version="1", notice_url=f"{origin}/privacy", now=clock())
        queued.append(scanner.create_scan(session=db.session, property_id=prop.id, urls=[origin + "/"], options={},
                                          requested_by="cli", now=clock()).id)
    db.session.commit()

    def work(worker: int) -> list[str]:
        claimed = []
        with app.app_context():
            while (scan := scanner.claim_scan(session=db.session, owner=f"w{worker}", lease_seconds=60,
                                              now=clock())) is not None:
                claimed.append(scan.id)
                db.session.commit()
            db.session.rollback()
            db.session.remove()
        return claimed

    with ThreadPoolExecutor(WORKERS) as pool:
        claims = list(pool.map(work, range(WORKERS)))

    counted = Counter(scan_id for claimed in claims for scan_id in claimed)
    assert sorted(counted) == sorted(queued) and set(counted.values()) == {1}, claims
