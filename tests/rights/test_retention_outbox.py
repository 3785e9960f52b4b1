"""Retention removes finished webhook events past RETENTION_WEBHOOK_OUTBOX_DAYS: a finished month of the
partitioned outbox whole (PostgreSQL), everything else by rows; an open delivery keeps its event.

On SQLite (plain tables) the same events go row by row: both databases end with the same rows.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from consent_service import partitions
from consent_service.extensions import db
from consent_service.retention import service as retention
from consent_service.runtime import runtime
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import outbox
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookDelivery, WebhookEvent
from consent_service.webhooks.signing import SecretCipher
from tests.conftest import ENCRYPTION_KEY

PERIODS = retention.Periods(
    visitor_inactivity=timedelta(days=395),
    recording_evidence=timedelta(days=1095),
    proof_after_withdrawal=timedelta(days=1826),
    webhook_outbox=timedelta(days=90),
)


def _run(clock, *, dry_run: bool = False) -> retention.Outcome:
    outcome = retention.run(session=db.session, periods=PERIODS, pseudonymize=lambda kind, external_id: external_id,
                            keystore=runtime().keystore, now=clock(), dry_run=dry_run)
    db.session.commit()
    return outcome


def _endpoints(clock) -> None:
    cipher = SecretCipher([ENCRYPTION_KEY])
    for url in ("https://a.example/in", "https://b.example/in"):
        webhooks.create_endpoint(session=db.session, url=url, event_types=["subject.erased"], cipher=cipher,
                                 allow_private=False, now=clock())


def _event(clock, name: str, *statuses: str) -> None:
    """An event to both endpoints, its deliveries left in these statuses."""
    event = webhooks.enqueue(session=db.session, type=WebhookEventType.SUBJECT_ERASED,
                             data={"subject": {"kind": "customer", "id": name}}, now=clock())
    assert event is not None
    deliveries = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_sequence == event.sequence)
                                    .order_by(WebhookDelivery.endpoint_id)).all()
    for delivery, status in zip(deliveries, statuses, strict=True):
        delivery.status = status
    db.session.commit()


def _names() -> set[str]:
    return {event.payload["data"]["subject"]["id"] for event in db.session.scalars(select(WebhookEvent))}


def _deliveries_without_event() -> int:
    return db.session.scalar(text(
        "SELECT count(*) FROM webhook_deliveries AS d WHERE NOT EXISTS (SELECT 1 FROM webhook_events AS e "
        "WHERE e.sequence = d.event_sequence AND e.created_at = d.event_created_at)"))


def test_a_finished_month_is_dropped_and_the_rest_goes_by_rows(app, clock):
    postgres = db.engine.dialect.name == "postgresql"
    outbox.ensure_months(session=db.session, now=clock(), ahead=1)  # January and February 2026
    db.session.commit()
    _endpoints(clock)
    _event(clock, "jan-delivered", "delivered", "delivered")
    _event(clock, "jan-failed", "delivered", "failed")
    clock.advance(days=31)
    _event(clock, "feb-delivered", "delivered", "delivered")
    _event(clock, "feb-open", "delivered", "pending")  # keeps February's partitions
    clock.advance(days=60)
    _event(clock, "apr-in-default", "delivered", "delivered")  # no partition made: DEFAULT, by rows
    clock.advance(days=95)
    _event(clock, "recent", "delivered", "delivered")
    january = partitions.partition_name(partitions.OUTBOX_EVENTS, partitions.month_start(clock() - timedelta(days=186)))

    dry = _run(clock, dry_run=True)
    assert _names() == {"jan-delivered", "jan-failed", "feb-delivered", "feb-open", "apr-in-default", "recent"}
    outcome = _run(clock)

    assert _names() == {"feb-open", "recent"}
    assert _deliveries_without_event() == 0
    assert db.session.scalar(select(WebhookDelivery.status).where(WebhookDelivery.status == "pending")) == "pending"
    if postgres:
        # January, and any empty finished month other tests made (March...), not February.
        assert outcome.outbox_months_dropped == dry.outbox_months_dropped
        assert january in outcome.outbox_months_dropped
        assert january.replace("m01", "m02") not in outcome.outbox_months_dropped
        assert (outcome.outbox_events_deleted, dry.outbox_events_deleted) == (2, 2)  # February's and April's
        left = {p.name for p in partitions.months(db.session, partitions.OUTBOX_EVENTS)}
        assert january not in left and january.replace("events", "deliveries") not in {
            p.name for p in partitions.months(db.session, partitions.OUTBOX_DELIVERIES)}
        assert january.replace("m01", "m02") in left
    else:
        assert outcome.outbox_months_dropped == dry.outbox_months_dropped == []
        assert (outcome.outbox_events_deleted, dry.outbox_events_deleted) == (4, 4)
    again = _run(clock)
    assert (again.outbox_months_dropped, again.outbox_events_deleted) == ([], 0)


def test_without_an_outbox_period_nothing_of_the_outbox_goes(app, clock):
    _endpoints(clock)
    _event(clock, "old", "delivered", "delivered")
    clock.advance(days=400)
    outcome = retention.run(session=db.session, periods=retention.Periods(
        visitor_inactivity=timedelta(days=395), recording_evidence=timedelta(days=1095),
        proof_after_withdrawal=timedelta(days=1826)), pseudonymize=lambda kind, external_id: external_id,
        keystore=runtime().keystore, now=clock())
    db.session.commit()
    assert (outcome.outbox_months_dropped, outcome.outbox_events_deleted) == ([], 0)
    assert _names() == {"old"}


def test_retention_run_and_ledger_partitions_make_the_outbox_months_ahead(app, flask_cli, clock):
    result = flask_cli("retention", "run")
    assert result.exit_code == 0, result.output
    assert "finished webhook events by rows" in result.output
    listed = flask_cli("ledger", "partitions", "--ahead", "4")
    assert listed.exit_code == 0, listed.output
    if db.engine.dialect.name != "postgresql":
        assert "not partitioned" in listed.output
        return
    month = partitions.month_start(clock())
    for table in (partitions.OUTBOX_EVENTS, partitions.OUTBOX_DELIVERIES):
        names = {p.name for p in partitions.months(db.session, table)}
        assert partitions.partition_name(table, month) in names
        assert partitions.partition_name(table, month) in listed.output
        assert table.default in listed.output
    assert "made webhook_events_y" in listed.output  # the fourth month ahead, which retention did not make


def test_a_delivery_replayed_after_the_look_keeps_its_event(app, clock, monkeypatch):
    from consent_service.webhooks import deliveries

    _endpoints(clock)
    _event(clock, "replayed", "delivered", "failed")
    clock.advance(days=100)
    looked = outbox._finished

    def look_then_replay(*args, **kwargs):
        found = looked(*args, **kwargs)
        if found:  # an operator replays the failed delivery between the look and the delete
            deliveries.replay(session=db.session, failed=True, now=clock())
        return found

    monkeypatch.setattr(outbox, "_finished", look_then_replay)
    forgotten = outbox.forget_finished(session=db.session, before=clock() - timedelta(days=90))
    db.session.commit()

    assert forgotten.events_deleted == 0
    assert _names() == {"replayed"}
    assert db.session.scalars(select(WebhookDelivery.status)).all() == ["pending"]
