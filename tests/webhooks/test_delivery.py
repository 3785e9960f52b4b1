"""Delivery to a real local receiver: retries, signatures, order, maximum age, replay, rollbacks."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
from sqlalchemy import func, select

from consent_service.consents import service as consents
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from consent_service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.webhooks.conftest import ROOT, load_receiver_example

EVENT_SCHEMA = json.loads(Path(ROOT / "schemas/webhook-event.schema.json").read_text())
HOUR = 3600


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.event_sequence)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_event_arrives_once_signed_after_three_failed_deliveries(receiver, make_endpoint, make_worker, record, clock):
    receiver.fail_first = 3
    endpoint, secret = make_endpoint(receiver.url)
    response = record("c-1", purpose="marketing", decision="withdrawn")
    assert response.status_code == 201, response.json
    worker = make_worker()

    for attempt in range(1, 5):
        assert worker.run_batch() == 1
        assert len(receiver.requests) == attempt
        assert worker.run_batch() == 0  # a retry waits for its backoff
        clock.advance(seconds=HOUR)  # the backoff is capped at an hour

    verify = load_receiver_example().verify
    assert [r.status for r in receiver.requests] == [500, 500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # the same id on every retry
    kept = receiver.deduplicated()
    assert len(kept) == 1
    (delivered,) = kept.values()
    event = verify(secret, delivered.headers, delivered.body, now=int(delivered.headers["webhook-timestamp"]))
    jsonschema.Draft202012Validator(EVENT_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(event)
    assert event["type"] == "consent.changed"
    assert event["data"]["subject"] == {"kind": "customer", "id": "c-1"}
    assert event["data"]["revision"] == 1
    [change] = event["data"]["events"]
    assert change["purpose"] == "marketing" and change["decision"] == "withdrawn" and change["id"].startswith("evt_")
    [delivery] = deliveries()
    assert delivery.status == "delivered" and delivery.attempts == 4 and delivery.last_status_code == 200
    assert delivery.lease_owner is None


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap(make_worker):
    import random

    policy = make_worker().options.policy
    rng = random.Random(1)
    for attempts, ceiling in [(1, 5), (2, 10), (3, 20), (10, 2560), (11, 3600), (60, 3600)]:
        delays = [policy.delay(attempts, rng).total_seconds() for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not clustered


def test_a_rolled_back_consent_write_produces_no_webhook(receiver, make_endpoint, make_worker, record, clock):
    make_endpoint(receiver.url)
    refused = record("c-1", purpose="service_notices", decision="denied")  # not refusable: 422, nothing written
    assert refused.status_code == 422
    record_consent(
        session=db.session, kind="customer", external_id="c-2",
        events=[consents.EventInput(purpose="recording", decision=Decision.WITHDRAWN, method=Method.VERBAL)],
        context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
    )
    assert count(WebhookEvent) == 1  # written in the transaction...
    db.session.rollback()  # ...and gone with it
    assert count(WebhookEvent) == 0 and count(WebhookDelivery) == 0
    assert make_worker().run_batch() == 0
    assert receiver.requests == []


def test_events_of_one_subject_arrive_in_revision_order_while_others_flow(receiver, make_endpoint, make_worker, record,
                                                                          clock):
    make_endpoint(receiver.url)
    receiver.fail_first = 1  # the first event of a-1 fails once
    for decision in ("granted", "denied", "granted"):
        assert record("a-1", decision=decision).status_code == 201
    assert record("b-1").status_code == 201
    worker = make_worker(concurrency=1)  # one at a time, in sequence order, so a-1's head is the one that fails

    worker.run_batch()  # only the head of each subject is due: a-1 rev 1 (fails) and b-1 rev 1
    subjects = [r.event["data"]["subject"]["id"] for r in receiver.requests]
    assert sorted(subjects) == ["a-1", "b-1"]
    assert worker.run_batch() == 0  # a-1's later events wait behind the failed one
    clock.advance(seconds=HOUR)
    while worker.run_batch():
        pass
    a_revisions = [r.event["data"]["revision"] for r in receiver.requests if r.event["data"]["subject"]["id"] == "a-1"]
    assert a_revisions == [1, 1, 2, 3]
    assert {d.status for d in deliveries()} == {"delivered"}


def test_only_enabled_endpoints_subscribed_to_the_type_get_deliveries(receiver, make_endpoint, record):
    make_endpoint(receiver.url, event_types=["notice.published"])
    make_endpoint(receiver.url, enabled=False)
    assert record("c-1").status_code == 201
    assert count(WebhookEvent) == 0  # nobody wants it: no outbox row at all
    wanted, _ = make_endpoint(receiver.url, event_types=["consent.changed", "subject.erased"])
    assert record("c-1").status_code == 201
    assert [d.endpoint_id for d in deliveries()] == [wanted.id]


def test_too_old_deliveries_fail_are_kept_and_can_be_replayed(app, receiver, make_endpoint, make_worker, record, clock):
    receiver.fail_first = 1000
    make_endpoint(receiver.url)
    record("c-1")
    worker = make_worker()
    max_age = timedelta(seconds=worker.options.policy.max_age_seconds)
    for _ in range(1000):  # about 150 tries in three days of backoff capped at an hour
        worker.run_batch()
        [delivery] = deliveries()
        if delivery.status == "failed":
            break
        assert delivery.next_attempt_at - delivery.retrying_since <= max_age
        clock.current = delivery.next_attempt_at
    assert delivery.status == "failed" and delivery.last_status_code == 500 and delivery.attempts > 5
    assert delivery.last_attempt_at - delivery.retrying_since >= max_age  # the last try comes at the maximum age
    assert worker.run_batch() == 0

    listed = app.test_cli_runner().invoke(args=["webhooks", "deliveries", "--status", "failed"])
    assert listed.exit_code == 0 and delivery.id in listed.output and "HTTP 500" in listed.output
    assert listed.stdout.splitlines()[0].split() == ["ID", "EVENT", "TYPE", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST_OUTCOME"]
    as_json = json.loads(app.test_cli_runner().invoke(args=["webhooks", "deliveries", "--json"]).stdout)
    assert [(row["id"], row["status"], row["attempts"]) for row in as_json] == [(delivery.id, "failed", delivery.attempts)]

    receiver.fail_first = 0
    receiver.requests.clear()
    replayed = app.test_cli_runner().invoke(args=["webhooks", "replay", delivery.id])
    assert replayed.exit_code == 0, replayed.output
    assert "1 deliveries due again" in replayed.output
    assert worker.run_batch() == 1
    assert [r.status for r in receiver.requests] == [200]
    assert deliveries()[0].status == "delivered"

    missing = app.test_cli_runner().invoke(args=["webhooks", "replay", "dlv_missing"])
    assert missing.exit_code != 0 and "No delivery or event" in missing.output


def test_gone_disables_the_endpoint_and_an_event_id_replays_its_deliveries(app, client, auth, receiver, make_endpoint,
                                                                           make_worker, record):
    receiver.status = 410  # Gone: the receiver asks to stop
    endpoint, _ = make_endpoint(receiver.url)
    record("c-1")
    assert make_worker().run_batch() == 1
    [delivery] = deliveries()
    assert delivery.status == "failed" and "410" in delivery.last_error
    assert db.session.get(WebhookEndpoint, endpoint.id).enabled is False
    record("c-1")
    assert len(deliveries()) == 1  # a disabled endpoint gets no new events

    receiver.status = 200
    msg_id = db.session.scalars(select(WebhookEvent.id)).one()
    enabled = client.patch(f"/v1/webhooks/{endpoint.id}", json={"enabled": True}, headers=auth("admin"))
    assert enabled.status_code == 200
    assert app.test_cli_runner().invoke(args=["webhooks", "replay", msg_id]).exit_code == 0
    assert make_worker().run_batch() == 1 and deliveries()[0].status == "delivered"
    usage = app.test_cli_runner().invoke(args=["webhooks", "replay"])
    assert usage.exit_code != 0
    assert "0 deliveries" in app.test_cli_runner().invoke(args=["webhooks", "replay", "--failed"]).output


def test_a_worker_that_died_mid_batch_leaves_claims_another_takes_over(receiver, make_endpoint, make_worker, record,
                                                                       clock):
    make_endpoint(receiver.url)
    for subject in ("c-1", "c-2"):
        record(subject)
    dead = make_worker()
    from consent_service.webhooks import deliveries as queue

    claimed = queue.claim(session=db.session, owner="dead", limit=10, lease_seconds=dead.options.lease_seconds,
                          now=clock())
    db.session.commit()
    assert len(claimed) == 2
    survivor = make_worker()
    assert survivor.run_batch() == 0  # leased to the dead worker
    clock.advance(seconds=dead.options.lease_seconds)
    assert survivor.run_batch() == 2
    assert len(receiver.deduplicated()) == 2 and {d.status for d in deliveries()} == {"delivered"}


def test_a_slow_receiver_times_out_and_is_retried(receiver, make_endpoint, make_worker, record):
    receiver.delay = 1.5
    make_endpoint(receiver.url)
    record("c-1")
    make_worker(timeout_seconds=0.5).run_batch()
    [delivery] = deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "timed out" in delivery.last_error or "Timeout" in delivery.last_error
