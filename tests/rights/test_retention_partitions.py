"""Retention drops a month of the partitioned ledger whole when all its chains go, and keeps every rule.

On SQLite (a plain ledger) the same chains go row by row: both databases end in the same state.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select, text

from consent_service.consents.models import ConsentEvent, ConsentState, RetiredChain
from consent_service.extensions import db
from consent_service.ledger import partitions, seals
from consent_service.reports import service as reports
from consent_service.reports.models import ConsentRollup
from consent_service.retention import service as retention
from consent_service.runtime import runtime
from consent_service.subjects.models import Subject

PERIODS = retention.Periods(
    visitor_inactivity=timedelta(days=395),
    recording_evidence=timedelta(days=1095),
    proof_after_withdrawal=timedelta(days=1826),
)


def _run(clock, *, dry_run: bool = False) -> retention.Outcome:
    outcome = retention.run(session=db.session, periods=PERIODS, pseudonymize=lambda kind, external_id: "erased",
                            keystore=runtime().keystore, now=clock(), dry_run=dry_run)
    db.session.commit()
    return outcome


def _months(clock) -> None:
    partitions.ensure_months(session=db.session, now=clock())
    db.session.commit()


def _rollup() -> list[tuple]:
    return sorted(tuple(row) for row in db.session.execute(select(*ConsentRollup.__table__.c)).all() if row.count)


def test_a_month_whose_chains_all_go_is_dropped_and_the_rest_goes_by_rows(app, record, clock, flask_cli, tmp_path):
    postgres = db.engine.dialect.name == "postgresql"
    _months(clock)  # January 2026 (the frozen clock's month) and the next ones
    record("visitor", "v-jan", [("analytics", "granted", "banner_custom")])
    record("visitor", "v-jan-and-feb", [("analytics", "granted", "banner_custom")])
    clock.advance(days=31)
    record("visitor", "v-jan-and-feb", [("analytics", "denied", "banner_custom")])
    record("customer", "c-relied-on", [("marketing", "granted", "api")])  # keeps February
    record("visitor", "v-feb", [("analytics", "granted", "banner_custom")])
    checkpoint = tmp_path / "before.jws"
    assert flask_cli("ledger", "checkpoint", "--output", str(checkpoint)).exit_code == 0
    clock.advance(days=400)
    january = partitions.partition_name(partitions.month_start(clock() - timedelta(days=431)))
    kept_state = db.session.scalars(select(ConsentState)).all()
    kept_state = [(s.subject_id, s.purpose, s.event_id) for s in kept_state if s.decision == "granted"
                  and s.purpose == "marketing"]

    # Each chain's head in the ledger: what its retirement must keep, however its events went.
    latest = select(ConsentEvent.subject_id, func.max(ConsentEvent.revision)).group_by(ConsentEvent.subject_id)
    heads = {
        subject_id: (revision, db.session.scalar(select(ConsentEvent.hash).filter_by(subject_id=subject_id,
                                                                                     revision=revision)))
        for subject_id, revision in db.session.execute(latest)
    }

    dry = _run(clock, dry_run=True)

    assert dry.partitions_dropped == ([january] if postgres else [])
    assert sorted(removal.events for removal in dry.removed) == [1, 1, 2]
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 5

    statements: list[str] = []

    def heard(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", heard)
    try:
        done = _run(clock)
    finally:
        event.remove(db.engine, "before_cursor_execute", heard)

    assert done.partitions_dropped == dry.partitions_dropped
    assert sorted((r.subject_id, r.events, r.reason) for r in done.removed) == sorted(
        (r.subject_id, r.events, r.reason) for r in dry.removed)
    assert set(db.session.scalars(select(Subject.external_id))) == {"c-relied-on"}
    assert [(s.subject_id, s.purpose, s.event_id) for s in db.session.scalars(select(ConsentState))] == kept_state
    retired = db.session.scalars(select(RetiredChain)).all()
    assert {r.subject_id: (r.revision, r.hash) for r in retired} == {r.subject_id: heads[r.subject_id]
                                                                      for r in done.removed}
    keys = runtime().keystore.genuine_public_keys(session=db.session)
    reasons = {r.subject_id: r.reason for r in done.removed}
    for row in retired:
        claims = seals.open_seal(row.seal, typ=seals.RETIREMENT_TYPE, keys=keys)
        assert claims == seals.retirement_claims(subject_id=row.subject_id, revision=row.revision, hash_=row.hash,
                                                 retired_at=clock(), reason=reasons[row.subject_id])
    if postgres:
        assert january not in {p.name for p in partitions.months(db.session)}
        assert any("DETACH PARTITION" in s for s in statements)
        # v-jan-and-feb's February row went by its row, its January one with the month.
        assert any(s.startswith("DELETE FROM consent_events") and "recorded_at <" in s for s in statements)
    verified = flask_cli("ledger", "verify", "--checkpoint", str(checkpoint))
    assert verified.exit_code == 0, verified.output
    rollup = _rollup()
    reports.rebuild_rollups(session=db.session)
    assert _rollup() == rollup  # the rollup lost exactly the dropped chains' counts


def test_a_month_with_a_chain_that_stays_is_kept(app, record, clock):
    _months(clock)
    record("visitor", "v-1", [("analytics", "granted", "banner_custom")])
    record("customer", "c-relied-on", [("marketing", "granted", "api")])
    clock.advance(days=400)

    outcome = _run(clock)

    assert outcome.partitions_dropped == []
    assert [r.kind for r in outcome.removed] == ["visitor"]
    assert set(db.session.scalars(select(Subject.external_id))) == {"c-relied-on"}


def test_a_write_into_a_month_without_a_partition_lands_in_default(app, record, clock):
    clock.advance(days=3650)  # a month nobody made
    record("customer", "c-1", [("marketing", "granted", "api")])
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 1
    if db.engine.dialect.name != "postgresql":
        assert partitions.ensure_months(session=db.session, now=clock()) == []
        return
    assert db.session.scalar(text(f"SELECT count(*) FROM {partitions.DEFAULT}")) == 1
    created = partitions.ensure_months(session=db.session, now=clock())
    # This month's rows are in DEFAULT already: its partition is not made (PostgreSQL would refuse), the next are.
    assert partitions.partition_name(partitions.month_start(clock())) not in created
    assert len(created) == partitions.MONTHS_AHEAD


def test_flask_ledger_partitions_makes_the_months_ahead_and_lists_them(app, flask_cli, clock):
    result = flask_cli("ledger", "partitions", "--ahead", "2")
    assert result.exit_code == 0, result.output
    if db.engine.dialect.name != "postgresql":
        assert "not partitioned" in result.output
        return
    month = partitions.month_start(clock())
    names = [partitions.partition_name(month), partitions.partition_name(partitions.next_month(month))]
    for name in names:
        assert name in result.output
    assert set(names) <= {partition.name for partition in partitions.months(db.session)}
    again = flask_cli("ledger", "partitions", "--ahead", "2")
    assert "made " not in again.output  # nothing left to make


def test_two_runs_started_together_drop_each_month_once_and_remove_each_chain_once(app, database_url, clock, flask_cli):
    import re
    import subprocess
    import sys

    from consent_service.consents import service as consents
    from consent_service.flows.record_consent import record_consent
    from consent_service.vocabulary import Decision, Method
    from tests.rights.test_retention import ROOT, retention_command_env

    _months(clock)  # this month and three ahead: four months of visitors
    for month in range(4):
        for n in range(30):
            record_consent(
                session=db.session, kind="visitor", external_id=f"v-{month}-{n}",
                events=[consents.EventInput(purpose="analytics", decision=Decision.GRANTED, method=Method.BANNER_CUSTOM)],
                context=consents.EventContext(notice_version="v1"), rules=runtime().rules, now=clock(),
            )
        clock.advance(days=31)
    db.session.commit()
    env = retention_command_env(database_url)
    runs = [subprocess.Popen([sys.executable, "-m", "flask", "retention", "run"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("removed visitor #")]
    assert len(lines) == len(set(lines)) == 120
    dropped = [name for out, _ in outputs for line in out.splitlines() if "months of the ledger whole" in line
               for name in re.findall(r"consent_events_y\d{4}m\d{2}", line)]
    assert len(dropped) == len(set(dropped))
    if db.engine.dialect.name == "postgresql":
        assert len(dropped) >= 4
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Subject)) == 0
    assert flask_cli("ledger", "verify").exit_code == 0


def test_no_table_holds_a_foreign_key_into_the_ledger(app):
    """DETACH checks a key into a partitioned table by joining the whole referencing table with the month, under the
    ledger's exclusive lock: a key into the ledger would make every month retention drops scan that table while no
    consent can be written (migration 0030 dropped the states' key; `flask ledger verify` checks what it guarded)."""
    into_ledger = [
        f"{table.name}.{key.name}"
        for table in db.metadata.sorted_tables
        for key in table.foreign_key_constraints
        if key.referred_table.name == ConsentEvent.__tablename__
    ]
    assert into_ledger == []
    if db.engine.dialect.name == "postgresql":
        assert db.session.execute(
            text("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                 "AND confrelid = 'consent_events'::regclass")
        ).all() == []
