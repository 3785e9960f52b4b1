"""Scans through the admin API and the worker's side of the queue (claim, progress, finish, fail) through the service."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_service.errors import NotFound, ValidationFailed
from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.scanner import service as scanner
from consent_service.scanner.findings import Assessment, assess
from consent_service.scanner.knowledge import Knowledge
from consent_service.scanner.models import Scan, ScanScreenshot
from tests.scanner.observed import CONSENT_COOKIE, DECLARATIONS, NEVER_SET, SERVICE_ORIGIN, defective_shop

# The PNG signature and an IHDR chunk's start: enough for the bytes to be told apart and checked whole.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
# What the scan worker stores: the assessment of the shop with the acceptance test's four defects
# (2 violations, 1 gap, 1 stale declaration).
ASSESSMENT = assess(
    defective_shop(),
    declarations=[*DECLARATIONS, NEVER_SET],
    knowledge=Knowledge.load(),
    service_origin=SERVICE_ORIGIN,
    consent_cookie=CONSENT_COOKIE,
).to_json()


@pytest.fixture
def prop(app, clock):
    created = properties.create_property(
        session=db.session, name="Shop", allowed_origins=["https://shop.example", "https://checkout.example"], notice_version="1",
        notice_url="https://shop.example/privacy", now=clock(),
    )
    db.session.commit()
    return created


@pytest.fixture
def admin(auth):
    return auth("admin")


def _scans(prop, rest=""):
    return f"/v1/properties/{prop.id}/scans{rest}"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _claim(clock, owner="worker-1", lease_seconds=60):
    claimed = scanner.claim_scan(session=db.session, owner=owner, lease_seconds=lease_seconds, now=clock())
    db.session.commit()
    return claimed


def test_a_scan_is_queued_then_claimed_reported_and_finished(client, admin, prop, clock):
    started = client.post(_scans(prop), headers=admin, json={
        "urls": ["https://shop.example/", "https://shop.example/cart"], "max_pages": 5,
        "extra_origins": ["https://Checkout.Example/"]})
    assert started.status_code == 202, started.json
    queued = started.json
    assert queued["id"].startswith("scan_") and queued["status"] == "queued" and queued["requested_by"] == "api"
    assert queued["options"] == {"max_pages": 5, "page_seconds": 30, "total_seconds": 900,
                                 "extra_origins": ["https://checkout.example"]}
    assert queued["progress"] == {"done": 0, "total": 6} and queued["counts"] is None

    clock.advance(seconds=1)
    claimed = _claim(clock)
    assert claimed.id == queued["id"] and claimed.status == "running" and claimed.lease_owner == "worker-1"
    assert _claim(clock, owner="worker-2") is None  # the only scan is leased

    clock.advance(seconds=30)
    scanner.report_progress(session=db.session, scan_id=claimed.id, owner="worker-1", done=2, total=5, now=clock(),
                            lease_seconds=60)
    db.session.commit()
    running = client.get(_scans(prop, f"/{claimed.id}"), headers=admin).json
    assert running["status"] == "running" and running["progress"] == {"done": 2, "total": 5}
    assert running["assessment"] is None and running["findings"] is None and running["comparison"] is None

    clock.advance(seconds=50)  # 80 s after the claim, 50 s after the progress extended the lease by 60 s
    assert _claim(clock, owner="worker-2") is None
    scanner.finish_scan(session=db.session, scan_id=claimed.id, owner="worker-1", assessment=ASSESSMENT,
                        screenshots={"no_choice": PNG, "accepted": PNG[::-1]}, now=clock())
    db.session.commit()

    done = client.get(_scans(prop, f"/{claimed.id}"), headers=admin).json
    assert done["status"] == "done" and done["progress"] == {"done": 5, "total": 5}
    assert done["counts"] == {"violation": 2, "gap": 1, "stale": 1}
    assert done["assessment"] == ASSESSMENT and done["findings"] == ASSESSMENT["findings"]
    assert Assessment.from_json(done["assessment"]).counts == done["counts"]
    assert done["screenshots"] == ["no_choice", "accepted"] and done["comparison"] is None
    assert done["finished_at"] is not None and done["error"] is None

    listed = client.get(_scans(prop), headers=admin).json["scans"]
    assert [s["id"] for s in listed] == [claimed.id]
    assert "assessment" not in listed[0] and listed[0]["counts"] == done["counts"]


def test_screenshots_are_served_as_png_to_admins_only(client, admin, auth, prop, clock):
    scan = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"], options={},
                               requested_by="cli", now=clock())
    db.session.commit()
    _claim(clock)
    scanner.finish_scan(session=db.session, scan_id=scan.id, owner="worker-1", assessment={"findings": []},
                        screenshots={"rejected": PNG}, now=clock())
    db.session.commit()
    shot = client.get(_scans(prop, f"/{scan.id}/screenshots/rejected"), headers=admin)
    assert shot.status_code == 200 and shot.mimetype == "image/png" and shot.data == PNG
    assert scanner.screenshot(session=db.session, scan_id=scan.id, state="rejected") == PNG
    missing = client.get(_scans(prop, f"/{scan.id}/screenshots/accepted"), headers=admin)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    assert client.get(_scans(prop, f"/{scan.id}/screenshots/rejected")).status_code == 401
    reader = auth("consents:read")
    assert client.get(_scans(prop, f"/{scan.id}/screenshots/rejected"), headers=reader).status_code == 403


def test_a_second_scan_waits_for_the_first_to_end(client, admin, prop, clock):
    first = client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=admin)
    assert first.status_code == 202
    second = client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=admin)
    assert second.status_code == 409 and second.json["code"] == "scan_in_progress", second.json
    _claim(clock)
    assert client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=admin).status_code == 409
    scanner.fail_scan(session=db.session, scan_id=first.json["id"], owner="worker-1",
                      error="net::ERR_NAME_NOT_RESOLVED " + "x" * 5000, now=clock())
    db.session.commit()
    failed = client.get(_scans(prop, f"/{first.json['id']}"), headers=admin).json
    assert failed["status"] == "failed" and failed["error"].startswith("net::ERR_NAME_NOT_RESOLVED")
    assert len(failed["error"]) == scanner.MAX_ERROR_LENGTH and failed["counts"] is None
    assert client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=admin).status_code == 202
    assert _count(Scan) == 2


@pytest.mark.parametrize("body, field", [
    ({"urls": []}, "urls"),
    ({"urls": ["shop.example/"]}, "urls.0"),
    ({"urls": ["https://shop.example/", "ftp://shop.example/"]}, "urls.1"),
    ({"urls": ["https:///nohost"]}, "urls.0"),
    ({"urls": ["https://shop.example/"], "max_pages": 0}, "max_pages"),
    ({"urls": ["https://shop.example/"], "max_pages": 501}, "max_pages"),
    ({"urls": ["https://shop.example/"], "page_seconds": 121}, "page_seconds"),
    ({"urls": ["https://shop.example/"], "total_seconds": 9}, "total_seconds"),
    ({"urls": ["https://shop.example/"], "total_seconds": 7201}, "total_seconds"),
    ({"urls": ["https://shop.example/"], "extra_origins": ["https://cdn.example/path"]}, "extra_origins.0"),
    ({"urls": ["https://shop.example/"], "max_pages": "many"}, "max_pages"),
    ({"urls": ["https://shop.example/"], "depth": 3}, "depth"),
    # A scan goes only where the property's banner may run: not another site, not an address inside the network.
    ({"urls": ["https://elsewhere.example/"]}, "urls.0"),
    ({"urls": ["https://shop.example/", "http://169.254.169.254/latest/meta-data/"]}, "urls.1"),
    ({"urls": ["https://shop.example:8443/"]}, "urls.0"),
    ({"urls": ["https://shop.example:port/"]}, "urls.0"),
    ({"urls": ["https://shop.example/"], "extra_origins": ["http://127.0.0.1:5432"]}, "extra_origins.0"),
])
def test_bad_scan_requests_are_refused_and_nothing_is_queued(client, admin, prop, body, field):
    response = client.post(_scans(prop), json=body, headers=admin)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert _count(Scan) == 0


def test_the_bounds_themselves_are_allowed(client, admin, prop):
    response = client.post(_scans(prop), headers=admin, json={
        "urls": ["https://shop.example/"], "max_pages": 500, "page_seconds": 1, "total_seconds": 10})
    assert response.status_code == 202, response.json


def test_unknown_property_or_scan_is_404(client, admin, prop, clock):
    assert client.post("/v1/properties/prop_nope/scans", json={"urls": ["https://a.example/"]},
                       headers=admin).status_code == 404
    assert client.get("/v1/properties/prop_nope/scans", headers=admin).status_code == 404
    assert client.get(_scans(prop, "/scan_nope"), headers=admin).json["code"] == "not_found"
    assert client.get(_scans(prop, "/scan_nope/screenshots/accepted"), headers=admin).status_code == 404
    scan = client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=admin).json
    other = properties.create_property(
        session=db.session, name="Other", allowed_origins=["https://other.example"], notice_version="1",
        notice_url="https://other.example/privacy", now=clock(),
    )
    db.session.commit()
    assert client.get(f"/v1/properties/{other.id}/scans/{scan['id']}", headers=admin).status_code == 404
    with pytest.raises(NotFound):
        scanner.screenshot(session=db.session, scan_id=scan["id"], state="accepted")


def test_scans_need_the_admin_scope(client, auth, prop):
    assert client.get(_scans(prop)).status_code == 401
    writer = auth("consents:write", "consents:read", "tokens:issue")
    assert client.get(_scans(prop), headers=writer).status_code == 403
    assert client.post(_scans(prop), json={"urls": ["https://shop.example/"]}, headers=writer).status_code == 403
    assert client.get(_scans(prop, "/scan_x"), headers=writer).status_code == 403
    assert _count(Scan) == 0


def test_an_expired_lease_is_claimed_again_and_the_old_worker_is_refused(prop, clock):
    scan = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"], options={},
                               requested_by="cli", now=clock())
    db.session.commit()
    assert _claim(clock, owner="worker-1", lease_seconds=60).id == scan.id
    clock.advance(seconds=61)
    again = _claim(clock, owner="worker-2")
    assert again is not None and again.id == scan.id and again.lease_owner == "worker-2"
    for refused in (
        lambda: scanner.report_progress(session=db.session, scan_id=scan.id, owner="worker-1", done=1, total=1,
                                        now=clock()),
        lambda: scanner.finish_scan(session=db.session, scan_id=scan.id, owner="worker-1", assessment={},
                                    screenshots={}, now=clock()),
        lambda: scanner.fail_scan(session=db.session, scan_id=scan.id, owner="worker-1", error="x", now=clock()),
    ):
        with pytest.raises(scanner.LeaseLost):
            refused()
    scanner.finish_scan(session=db.session, scan_id=scan.id, owner="worker-2", assessment={}, screenshots={},
                        now=clock())
    db.session.commit()
    assert _claim(clock, owner="worker-3") is None  # a done scan is never claimed again
    with pytest.raises(scanner.LeaseLost):
        scanner.fail_scan(session=db.session, scan_id=scan.id, owner="worker-2", error="late", now=clock())


def test_the_oldest_queued_scan_is_claimed_first(prop, clock):
    other = properties.create_property(
        session=db.session, name="Other", allowed_origins=["https://other.example"], notice_version="1",
        notice_url="https://other.example/privacy", now=clock(),
    )
    first = scanner.create_scan(session=db.session, property_id=other.id, urls=["https://other.example/"],
                                options={}, requested_by="api", now=clock())
    clock.advance(seconds=1)
    scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"], options={},
                        requested_by="api", now=clock())
    db.session.commit()
    assert _claim(clock).id == first.id


def test_screenshots_only_of_the_three_states(prop, clock):
    scan = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"], options={},
                               requested_by="cli", now=clock())
    _claim(clock)
    with pytest.raises(ValidationFailed):
        scanner.finish_scan(session=db.session, scan_id=scan.id, owner="worker-1", assessment={},
                            screenshots={"after_lunch": PNG}, now=clock())
    db.session.rollback()
    assert db.session.get(Scan, scan.id).status == "running" and _count(ScanScreenshot) == 0


def test_previous_scan_is_the_latest_done_one_finished_before(prop, clock):
    def run(outcome: str) -> Scan:
        scan = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"],
                                   options={}, requested_by="cli", now=clock())
        _claim(clock)
        clock.advance(minutes=1)
        if outcome == "done":
            scanner.finish_scan(session=db.session, scan_id=scan.id, owner="worker-1", assessment=ASSESSMENT,
                                screenshots={}, now=clock())
        else:
            scanner.fail_scan(session=db.session, scan_id=scan.id, owner="worker-1", error="down", now=clock())
        db.session.commit()
        clock.advance(minutes=1)
        return scan

    first = run("done")
    assert scanner.previous_scan(session=db.session, scan=first) is None
    second = run("done")
    failed = run("failed")
    third = run("done")
    assert scanner.previous_scan(session=db.session, scan=second).id == first.id
    assert scanner.previous_scan(session=db.session, scan=third).id == second.id  # not the failed one
    assert scanner.previous_scan(session=db.session, scan=failed).id == second.id
    queued = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"],
                                 options={}, requested_by="cli", now=clock())
    assert scanner.previous_scan(session=db.session, scan=queued).id == third.id
    # Another property's scans are never compared with.
    other = properties.create_property(
        session=db.session, name="Other", allowed_origins=["https://other.example"], notice_version="1",
        notice_url="https://other.example/privacy", now=clock(),
    )
    alone = scanner.create_scan(session=db.session, property_id=other.id, urls=["https://other.example/"],
                                options={}, requested_by="cli", now=clock())
    assert scanner.previous_scan(session=db.session, scan=alone) is None


def test_scans_are_listed_newest_first(client, admin, prop, clock):
    made = []
    for _ in range(3):
        scan = scanner.create_scan(session=db.session, property_id=prop.id, urls=["https://shop.example/"],
                                   options={}, requested_by="cli", now=clock())
        _claim(clock)
        scanner.fail_scan(session=db.session, scan_id=scan.id, owner="worker-1", error="down", now=clock())
        db.session.commit()
        made.append(scan.id)
        clock.advance(minutes=1)
    assert [s["id"] for s in client.get(_scans(prop), headers=admin).json["scans"]] == made[::-1]
