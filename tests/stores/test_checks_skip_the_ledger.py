"""Checks never read the ledger: their plan names no consent_events (nor a partition of it), so the ledger's
size and its number of partitions do not weigh on them."""
from __future__ import annotations

from sqlalchemy import event, text

from consent_service.extensions import db
from consent_service.ledger import partitions

WRITE = "/v1/subjects/customer/c-1/consent-events"
BODY = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}


def test_the_plans_of_a_check_and_a_batch_of_checks_touch_no_ledger_table(app, client, auth, clock):
    partitions.ensure_months(session=db.session, now=clock(), ahead=12)  # many partitions (PostgreSQL)
    db.session.commit()
    assert client.post(WRITE, json=BODY, headers=auth("consents:write")).status_code == 201
    headers = auth("consents:read")
    one = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing", "analytics"]}
    batch = {"checks": [one, {**one, "subject": {"kind": "visitor", "id": "v-1"}}]}
    assert client.post("/v1/checks", json=one, headers=headers).status_code == 200  # the snapshot loaded
    for body in (one, batch):
        sent: list[tuple[str, object]] = []

        def heard(_conn, _cursor, statement, parameters, *_args):
            sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", heard)
        try:
            assert client.post("/v1/checks", json=body, headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", heard)
        assert sent
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, parameters in sent:
                cursor = raw.cursor()
                cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
                plan = " ".join(str(row) for row in cursor.fetchall())
                assert "consent_events" not in plan, plan
                assert "consent_states" in plan  # the plan is the check's own: it reads the states
