"""Property: the materialized state always equals the fold of the ledger."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.errors import ValidationFailed
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.regimes.service import load_rules
from consent_service.subjects import service as subjects
from consent_service.vocabulary import Decision, Method

PURPOSES = ["marketing", "analytics", "recording", "service_notices", "unknown_thing"]
RULES = load_rules()

event_inputs = st.builds(
    consents.EventInput,
    purpose=st.sampled_from(PURPOSES),
    decision=st.sampled_from(list(Decision)),
    method=st.sampled_from(list(Method)),
)
request_batches = st.lists(st.lists(event_inputs, min_size=1, max_size=4), min_size=1, max_size=6)
subject_ids = (f"prop-{n}" for n in itertools.count())


def fold(events: list[ConsentEvent]) -> dict[str, tuple]:
    """The reference: replay the ledger in revision order; the last event per purpose wins."""
    state: dict[str, tuple] = {}
    for event in sorted(events, key=lambda e: e.revision):
        state[event.purpose] = (event.decision, event.method, event.id, event.revision)
    return state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=request_batches)
def test_state_equals_fold_of_ledger(app, clock, batches):
    subject_id = next(subject_ids)  # a fresh subject per example, so examples do not see each other
    accepted = 0
    for batch in batches:
        clock.advance(seconds=1)
        try:
            result = record_consent(
                session=db.session, kind="customer", external_id=subject_id, events=batch,
                context=consents.EventContext(notice_version="v1"), rules=RULES, now=clock(),
            )
        except ValidationFailed:
            db.session.rollback()  # an unknown or unrefusable purpose refuses the whole batch
            continue
        db.session.commit()
        accepted += len(batch)
        assert result.revision == accepted

    subject = subjects.find(session=db.session, kind="customer", external_id=subject_id)
    if subject is None:
        assert accepted == 0
        return
    events = db.session.scalars(select(ConsentEvent).where(ConsentEvent.subject_id == subject.id)).all()
    states = db.session.scalars(select(ConsentState).where(ConsentState.subject_id == subject.id)).all()
    assert len(events) == accepted == subject.revision
    assert {s.purpose: (s.decision, s.method, s.event_id, s.revision) for s in states} == fold(events)
    read = consents.read_state(session=db.session, kind="customer", external_id=subject_id, rules=RULES, now=clock())
    for purpose, (decision, *_rest) in fold(events).items():
        assert read.consents[purpose].decision.value == decision
