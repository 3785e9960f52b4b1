"""A batch answers every check as the same check sent alone: erased and seen again, restricted, unknown, known."""
from __future__ import annotations

import itertools


def test_each_check_of_a_batch_answers_as_it_would_alone(client, auth, record):
    record("customer", "erased", [("marketing", "granted", "api")])
    assert client.delete("/v1/subjects/customer/erased", headers=auth("subjects:erase")).status_code == 200
    record("customer", "erased", [("analytics", "granted", "api")])  # seen again, suppressed
    record("customer", "restricted", [("marketing", "granted", "api")])
    client.post("/v1/subjects/customer/restricted/restriction", json={"restricted": True}, headers=auth("consents:write"))
    record("customer", "known", [("marketing", "granted", "api"), ("analytics", "denied", "api")], country="DE")
    record("visitor", "known", [("analytics", "granted", "banner_custom")])
    purposes = [["marketing"], ["marketing", "analytics", "service_notices"], ["marketing", "analytics", "necessary"]]
    checks = [
        {"subject": {"kind": kind, "id": subject_id}, "purposes": asked} | extra
        for (kind, subject_id), asked, extra in zip(
            itertools.product(("customer", "visitor"), ("erased", "restricted", "known", "never-seen")),
            itertools.cycle(purposes),
            itertools.cycle([{}, {"country": "US"}, {"country": "DE", "gpc": True}]),
        )
    ]
    headers = auth("consents:read")

    batch = client.post("/v1/checks", json={"checks": checks}, headers=headers)

    assert batch.status_code == 200, batch.json
    alone = [client.post("/v1/checks", json=check, headers=headers).json for check in checks]
    assert batch.json["results"] == alone
    reasons = {d["reason"] for result in alone for d in result["decisions"].values()}
    assert {"suppressed", "restricted", "granted", "denied", "not_refusable"} <= reasons
