"""Migration 0029 moves an outbox with events and deliveries in it, both ways, and keeps numbering events."""
from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from consent_service import create_app, partitions
from consent_service.extensions import db
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookDelivery, WebhookEvent
from consent_service.webhooks.signing import SecretCipher
from tests.conftest import ENCRYPTION_KEY, settings_for

BEFORE = "0028_subject_head_hash"


def _outbox(connection) -> list[tuple]:
    return connection.execute(text(
        "SELECT e.sequence, e.id, e.created_at, d.id, d.status, d.attempts FROM webhook_events AS e "
        "JOIN webhook_deliveries AS d ON d.event_sequence = e.sequence ORDER BY e.sequence, d.id")).all()


def test_an_outbox_with_rows_moves_to_partitions_and_back(empty_database):
    app = create_app(settings_for(empty_database))
    with app.app_context():
        upgrade()
        cipher = SecretCipher([ENCRYPTION_KEY])
        for url in ("https://a.example/in", "https://b.example/in"):
            webhooks.create_endpoint(session=db.session, url=url, event_types=["subject.erased"], cipher=cipher,
                                     allow_private=False, now=datetime(2025, 10, 1, tzinfo=UTC))
        for month in (10, 11, 12):
            webhooks.enqueue(session=db.session, type=WebhookEventType.SUBJECT_ERASED,
                             data={"subject": {"kind": "customer", "id": f"c-{month}"}},
                             now=datetime(2025, month, 15, tzinfo=UTC))
        db.session.execute(text("UPDATE webhook_deliveries SET status = 'delivered', attempts = 1 "
                                "WHERE event_sequence = (SELECT min(sequence) FROM webhook_events)"))
        db.session.commit()
        with db.engine.connect() as connection:
            before = _outbox(connection)
        assert len(before) == 6
        db.session.remove()

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert _outbox(connection) == before
        upgrade()

        with db.engine.connect() as connection:
            assert _outbox(connection) == before
        is_postgres = db.engine.dialect.name == "postgresql"
        for table in (partitions.OUTBOX_EVENTS, partitions.OUTBOX_DELIVERIES):
            assert partitions.partitioned(db.session, table) == is_postgres
            if is_postgres:  # a month for each event's, and its deliveries in the same month as it
                names = {partition.name for partition in partitions.months(db.session, table)}
                assert {f"{table.name}_y2025m{month}" for month in (10, 11, 12)} <= names
                assert db.session.scalar(text(f"SELECT count(*) FROM {table.name}_y2025m11")) in (1, 2)
        deliveries = db.session.scalars(select(WebhookDelivery)).all()
        created = {event.sequence: event.created_at for event in db.session.scalars(select(WebhookEvent))}
        assert all(delivery.event_created_at == created[delivery.event_sequence] for delivery in deliveries)
        # The numbering goes on after the highest (the BIGSERIAL's sequence moved with the table on PostgreSQL).
        event = webhooks.enqueue(session=db.session, type=WebhookEventType.SUBJECT_ERASED,
                                 data={"subject": {"kind": "customer", "id": "c-next"}}, now=datetime.now(UTC))
        db.session.commit()
        assert event is not None and event.sequence == max(created) + 1
        db.session.remove()

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert len(_outbox(connection)) == 8
        upgrade()
        with db.engine.connect() as connection:
            assert len(_outbox(connection)) == 8
        db.session.remove()
        db.engine.dispose()
