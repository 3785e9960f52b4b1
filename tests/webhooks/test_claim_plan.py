"""The worker's poll stays indexed on the partitioned outbox (PostgreSQL): every month's partition is
probed through an index, none read whole, however many months retention keeps."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from consent_service import partitions
from consent_service.extensions import db
from consent_service.webhooks import deliveries, outbox
from consent_service.webhooks.models import WebhookDelivery


def test_the_claim_reads_each_month_through_an_index(app, clock):
    if db.engine.dialect.name != "postgresql":
        return  # plain tables on SQLite: nothing partitioned to probe
    for months_back in range(6):
        outbox.ensure_months(session=db.session, now=clock() - timedelta(days=31 * months_back), ahead=0)
    db.session.commit()
    claim = (
        select(WebhookDelivery.id)
        .where(deliveries._due(clock()))
        .order_by(WebhookDelivery.event_sequence)
        .limit(100)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    sql = str(claim.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    # The tables are near empty: without seqscans priced out the planner would rightly read them whole.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.execute(text(f"EXPLAIN (COSTS OFF) {sql}")).scalars())
    db.session.rollback()

    assert "Seq Scan" not in plan, plan
    months = partitions.months(db.session, partitions.OUTBOX_DELIVERIES)
    assert len(months) >= 6
    for partition in months:
        assert f"on {partition.name} " in plan, plan
