"""The rollup is a function of the ledger: incremental == rebuilt == recomputed, through writes, erasure and retention."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import event, func, select

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.errors import ServiceError
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.regimes.service import load_rules
from consent_service.reports import service as reports
from consent_service.reports.models import ConsentRollup
from consent_service.reports.service import GroupBy, Interval
from consent_service.retention import service as retention
from consent_service.rights import erasure
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method

RULES = load_rules()
BANNER = [Method.BANNER_ACCEPT_ALL, Method.BANNER_REJECT_ALL, Method.BANNER_CUSTOM]
COOKIE_PURPOSES = ["preferences", "analytics", "advertising"]
PROPERTIES = [None, "pk_alpha", "pk_beta"]
COUNTRIES = [None, "DE", "FR", "US"]
LANGUAGES = [None, "de", "en", "fr"]
START = date(2026, 1, 15)  # the clock fixture's first day, a Thursday
END = date(2026, 2, 12)  # past a month's end and four ISO weeks


def record(session, clock, external_id, events, *, kind="visitor", **context):
    result = record_consent(
        session=session, kind=kind, external_id=external_id,
        events=[consents.EventInput(purpose=p, decision=Decision(d), method=Method(m)) for p, d, m in events],
        context=consents.EventContext(notice_version="v1", **context), rules=RULES, now=clock(),
    )
    session.commit()
    return result


def banner_choice(rng: random.Random, method: Method) -> list[tuple[str, str, str]]:
    shown = rng.sample(COOKIE_PURPOSES, rng.randint(1, 3))
    if method is Method.BANNER_ACCEPT_ALL:
        return [(p, "granted", method.value) for p in shown]
    if method is Method.BANNER_REJECT_ALL:
        return [(p, "denied", method.value) for p in shown]
    return [(p, rng.choice(["granted", "denied"]), method.value) for p in shown]


def api_request(rng: random.Random) -> list[tuple[str, str, str]]:
    purposes = rng.sample(["marketing", "analytics", "advertising"], rng.randint(1, 2))
    return [(p, rng.choice(list(Decision)).value, rng.choice(["api", "written", "preference_page"])) for p in purposes]


def random_ledger(session, clock, seed: int) -> dict[str, int]:
    """A seeded mix of banner choices (some with GPC), API writes and erasures over four weeks."""
    rng = random.Random(seed)
    subjects = [("visitor", f"v-{n}") for n in range(14)] + [("customer", f"c-{n}") for n in range(6)]
    erased: set[tuple[str, str]] = set()
    done = {"written": 0, "refused": 0, "erased": 0}
    for _ in range(120):
        clock.advance(minutes=rng.randint(1, 600))
        kind, external_id = rng.choice(subjects)
        if (kind, external_id) in erased:
            continue
        if kind == "visitor":
            events = banner_choice(rng, rng.choice(BANNER))
            context = dict(property_key=rng.choice(PROPERTIES[1:]), language=rng.choice(LANGUAGES),
                           gpc=rng.random() < 0.4, banner_version="sha256:test")
        else:
            events = api_request(rng)
            context = dict(property_key=rng.choice(PROPERTIES), language=rng.choice(LANGUAGES))
        try:
            record(session, clock, external_id, events, kind=kind, country=rng.choice(COUNTRIES), **context)
            done["written"] += 1
        except ServiceError:  # a grant that is not valid consent in that regime: the request writes nothing
            session.rollback()
            done["refused"] += 1
        if rng.random() < 0.04:
            erasure.erase(session=session, kind=kind, external_id=external_id,
                          pepper=runtime().settings.erasure_pepper, now=clock())
            session.commit()
            erased.add((kind, external_id))
            done["erased"] += 1
    return done


def rollup_rows(session) -> set[tuple]:
    table = ConsentRollup.__table__
    session.expire_all()
    return {tuple(row) for row in session.execute(select(table).where(table.c["count"] != 0))}


def assert_rollup_answers_as_the_ledger(session) -> None:
    for interval in Interval:
        for group_by in [None, *GroupBy]:
            question = dict(start=START, end=END, interval=interval, group_by=group_by)
            assert reports.consent_rates(session=session, **question) == reports.recompute(session=session, **question)
    for question in (
        dict(property_key="pk_alpha"), dict(purpose="advertising"), dict(property_key="pk_beta", purpose="analytics"),
        dict(start=START + timedelta(days=3), end=START + timedelta(days=9), group_by=GroupBy.COUNTRY),
    ):
        question = dict(start=START, end=END, interval=Interval.WEEK) | question
        assert reports.consent_rates(session=session, **question) == reports.recompute(session=session, **question)


def test_rollup_equals_recomputation_and_rebuild_through_writes_erasure_and_retention(app, session, clock):
    done = random_ledger(session, clock, seed=20261125)
    assert done["written"] > 60 and done["erased"] >= 1  # the mix really exercised what it claims to
    gpc_events = session.scalar(select(func.count()).select_from(ConsentEvent).where(ConsentEvent.method == "gpc"))
    assert gpc_events > 0
    answer = reports.consent_rates(session=session, start=START, end=END, interval=Interval.MONTH)
    assert {r.period_start for r in answer.rates} == {date(2026, 1, 1), date(2026, 2, 1)}
    assert sum(c.total for c in answer.choices) > 20
    assert sum(r.granted + r.denied + r.withdrawn for r in answer.rates) == session.scalar(
        select(func.count()).select_from(ConsentEvent)
    )

    assert_rollup_answers_as_the_ledger(session)
    incremental = rollup_rows(session)
    written = reports.rebuild_rollups(session=session)
    session.commit()
    assert rollup_rows(session) == incremental and written == len(incremental)

    # Retention removes whole chains (idle visitors here); the rollup loses exactly their counts.
    clock.advance(days=12)
    outcome = retention.run(
        session=session,
        periods=retention.Periods(visitor_inactivity=timedelta(days=20), recording_evidence=timedelta(days=3650),
                                  proof_after_withdrawal=timedelta(days=3650)),
        pseudonymize=lambda kind, external_id: external_id, keystore=runtime().keystore, now=clock(),
    )
    assert outcome.removed  # some visitors went idle
    assert_rollup_answers_as_the_ledger(session)
    after_retention = rollup_rows(session)
    reports.rebuild_rollups(session=session)
    session.commit()
    assert rollup_rows(session) == after_retention != incremental


def test_a_banner_choice_counts_once_and_gpc_events_count_as_events(app, session, clock):
    day = clock().date()
    common = dict(property_key="pk_shop", language="de", banner_version="sha256:x")
    # "Accept all" with a GPC signal: the banner records advertising as refused by the signal.
    record(session, clock, "v-1", [("preferences", "granted", "banner_accept_all"),
                                   ("analytics", "granted", "banner_accept_all"),
                                   ("advertising", "denied", "gpc")], gpc=True, country="DE", **common)
    # Where GPC is an opt-out (US), record_events adds the signal's own refusal to a "reject all".
    record(session, clock, "v-2", [(p, "denied", "banner_reject_all") for p in COOKIE_PURPOSES], gpc=True,
           country="US", **common)
    clock.advance(seconds=1)
    record(session, clock, "v-2", [("analytics", "granted", "banner_custom"), ("advertising", "denied", "banner_custom")],
           country="US", **common)
    record(session, clock, "c-1", [("marketing", "withdrawn", "api")], kind="customer", country="FR")

    answer = reports.consent_rates(session=session, start=day, end=day)

    assert answer.choices == [reports.ChoiceSplit(period_start=day, group=None, accept_all=1, reject_all=1, custom=1,
                                                  total=3)]
    assert answer.choices[0].accept_all_share == 1 / 3
    by_purpose = {r.purpose: (r.granted, r.denied, r.withdrawn, r.opt_in_rate) for r in answer.rates}
    # reject all + GPC: advertising is refused twice in that request (by the click and by the signal)
    assert by_purpose == {
        "advertising": (0, 4, 0, 0.0),
        "analytics": (2, 1, 0, 2 / 3),
        "marketing": (0, 0, 1, 0.0),
        "preferences": (1, 1, 0, 0.5),
    }
    by_method = reports.consent_rates(session=session, start=day, end=day, group_by=GroupBy.METHOD)
    assert [(c.group, c.total) for c in by_method.choices] == [
        ("banner_accept_all", 1), ("banner_custom", 1), ("banner_reject_all", 1)
    ]
    assert {(r.group, r.purpose): r.denied for r in by_method.rates if r.denied}[("gpc", "advertising")] == 2
    by_country = reports.consent_rates(session=session, start=day, end=day, group_by=GroupBy.COUNTRY)
    assert [(r.group, r.purpose, r.denied) for r in by_country.rates if r.purpose in ("advertising", "marketing")] == [
        ("DE", "advertising", 1), ("FR", "marketing", 0), ("US", "advertising", 3)
    ]
    assert [(c.group, c.accept_all, c.reject_all, c.custom) for c in by_country.choices] == [("DE", 1, 0, 0), ("US", 0, 1, 1)]
    no_property = reports.consent_rates(session=session, start=day, end=day, group_by=GroupBy.LANGUAGE)
    assert {r.group for r in no_property.rates} == {"de", "unknown"}
    assert reports.consent_rates(session=session, start=day, end=day, property_key="pk_other").rates == []


def test_periods_are_utc_days_iso_weeks_from_monday_and_months(app, session, clock):
    moments = ["2026-01-31T23:59:00", "2026-02-01T00:00:00", "2026-02-08T12:00:00", "2026-02-09T00:30:00"]
    for n, moment in enumerate(moments):
        clock.current = datetime.fromisoformat(moment + "+00:00")
        record(session, clock, f"c-{n}", [("marketing", "granted", "api")], kind="customer")
    ask = dict(session=session, start=date(2026, 1, 1), end=date(2026, 2, 28))

    def starts(interval):
        return [(r.period_start, r.granted) for r in reports.consent_rates(interval=interval, **ask).rates]

    assert starts(Interval.DAY) == [(date(2026, 1, 31), 1), (date(2026, 2, 1), 1), (date(2026, 2, 8), 1),
                                    (date(2026, 2, 9), 1)]
    # Sat 31 Jan and Sun 1 Feb share the ISO week of Monday 26 Jan; Sun 8 Feb is in the week of Mon 2 Feb.
    assert starts(Interval.WEEK) == [(date(2026, 1, 26), 2), (date(2026, 2, 2), 1), (date(2026, 2, 9), 1)]
    assert starts(Interval.MONTH) == [(date(2026, 1, 1), 1), (date(2026, 2, 1), 3)]
    assert reports.recompute(interval=Interval.WEEK, **ask) == reports.consent_rates(interval=Interval.WEEK, **ask)
    inside = reports.consent_rates(session=session, start=date(2026, 2, 1), end=date(2026, 2, 8))
    assert [r.period_start for r in inside.rates] == [date(2026, 2, 1), date(2026, 2, 8)]


def test_consent_rates_reads_the_rollup_and_never_the_ledger(app, session, clock):
    record(session, clock, "v-1", [("analytics", "granted", "banner_custom")], property_key="pk_a", country="DE")

    def statements_of(ask) -> list[str]:
        seen: list[str] = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            ask()
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        return seen

    def every_question():
        for interval in Interval:
            for group_by in [None, *GroupBy]:
                answer = reports.consent_rates(session=session, start=START, end=END, interval=interval,
                                               group_by=group_by, property_key="pk_a", purpose="analytics")
                assert answer.rates and answer.choices

    reads = statements_of(every_question)
    assert sum("consent_rollups" in s for s in reads) == 2 * 3 * 5
    assert not [s for s in reads if "consent_events" in s]
    # The listener does see the ledger when it is read.
    assert any("consent_events" in s for s in statements_of(lambda: reports.recompute(session=session, start=START, end=END)))


def test_rebuild_command_prints_rows_written(app, session, clock):
    record(session, clock, "v-1", [("analytics", "granted", "banner_custom"), ("advertising", "denied", "banner_custom")])
    before = rollup_rows(session)
    session.execute(ConsentRollup.__table__.delete())
    session.commit()

    result = app.test_cli_runner().invoke(args=["reports", "rebuild"], catch_exceptions=False)

    assert result.exit_code == 0
    assert result.stdout.strip() == "rollup rebuilt: 3 rows"  # two event rows, one choice row
    assert rollup_rows(session) == before
