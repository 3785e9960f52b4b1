"""Consent rates and banner-choice splits per period: kept as a rollup in the write path, read from it.

The rollup (reports/models.py) is a function of the ledger: each recorded consent adds its request's
counts to it in the same transaction (`recorded_rows`, flows/record_consent.py), retention takes a
removed chain's counts back out (`discount_removed`), erasure leaves the counted fields alone, and `rebuild_rollups`
recomputes it from consent_events in one INSERT ... SELECT. `consent_rates` reads the rollup only;
`recompute` answers the same question straight from the ledger, for tests and cross-checks.

A banner choice is one visitor choice, however many purposes it covered: the events with a banner
method (accept all, reject all, custom) that one request recorded for one subject, which share the
subject, the instant and the method. Events a GPC signal added to the request (method `gpc`) are
counted as events, not as choices.
"""

from __future__ import annotations

import functools
import typing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    CursorResult,
    Date,
    DateTime,
    Insert,
    String,
    cast,
    delete,
    func,
    literal,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, FromClause

from consent_service.consents.chain import EventValues
from consent_service.consents.models import ConsentEvent
from consent_service.database import dialect_insert
from consent_service.errors import NotFound, ValidationFailed
from consent_service.properties import service as properties
from consent_service.purposes import service as purposes
from consent_service.reports.models import MISSING, SHARDS, ConsentRollup, RollupKind
from consent_service.vocabulary import BANNER_METHODS, Decision

UNKNOWN_GROUP = "unknown"
PUBLISHABLE_KEY_PREFIX = "pk_"
# The primary key of the rollup, in order: the conflict target of the upsert.
KEY_COLUMNS = ("day", "kind", "property_key", "purpose", "decision", "method", "country", "language", "regime", "shard")
# A rollup row's key: its values in KEY_COLUMNS order.
RollupKey = tuple[Any, ...]
# The group a report row belongs to, from the grouped column's value: "unknown" for none, or None when not grouped.
GroupOf = Callable[[str | None], str | None]


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class GroupBy(StrEnum):
    COUNTRY = "country"
    LANGUAGE = "language"
    REGIME = "regime"
    METHOD = "method"


@dataclass(frozen=True)
class PurposeRate:
    """One purpose in one period (and group)."""

    period_start: date  # first day of the day / ISO week (Monday) / month
    group: str | None  # the group's value; None when not grouped, "unknown" when the events lacked it
    purpose: str
    granted: int
    denied: int
    withdrawn: int
    opt_in_rate: float | None  # granted / (granted + denied + withdrawn); None when all are 0


@dataclass(frozen=True)
class ChoiceSplit:
    """Banner choices (one per visitor choice, not per purpose) in one period (and group)."""

    period_start: date
    group: str | None
    accept_all: int
    reject_all: int
    custom: int
    total: int

    @property
    def accept_all_share(self) -> float | None:
        return self.accept_all / self.total if self.total else None

    @property
    def reject_all_share(self) -> float | None:
        return self.reject_all / self.total if self.total else None

    @property
    def custom_share(self) -> float | None:
        return self.custom / self.total if self.total else None


@dataclass(frozen=True)
class ConsentRates:
    start: date  # inclusive range of UTC days
    end: date
    interval: Interval
    group_by: GroupBy | None
    property_key: str | None
    purpose: str | None
    rates: list[PurposeRate]  # sorted by period_start, group, purpose
    choices: list[ChoiceSplit]  # sorted by period_start, group


# --- the write path ----------------------------------------------------------------------------


def recorded_rows(events: Sequence[ConsentEvent | EventValues]) -> list[dict[str, Any]]:
    """What the events one request recorded (and its banner choice) add to the rollup, as rows whose count is
    added to a row already there, for the caller that writes them with the events (flows/record_consent.py)."""
    return _rows(_rollup_counts(events), sign=1)


def discount_removed(*, session: Session, subject_ids: Sequence[int]) -> None:
    """Take these subjects' events back out of the rollup, before retention deletes them from the ledger."""
    if not subject_ids:
        return
    rows = session.execute(_ledger_rows(session, shard=True, subject_ids=subject_ids))
    _add(session, Counter({tuple(row[:-1]): row[-1] for row in rows}), sign=-1)


# The ledger's columns an event's rollup counts are made of (_rollup_counts).
COUNTED_COLUMNS = (
    "subject_id",
    "recorded_at",
    "property_key",
    "purpose",
    "decision",
    "method",
    "country",
    "language",
    "regime",
)


def counts_of(*, events: Iterable[Any]) -> Counter[RollupKey]:
    """What these events (rows with the ledger's columns) count in the rollup, as their write added it."""
    return _rollup_counts(events)


def discount(*, session: Session, counts: Counter[RollupKey]) -> None:
    """Take `counts` (counts_of events retention deleted) back out of the rollup."""
    _add(session, counts, sign=-1)


def forget_days(*, session: Session, start: datetime, end: datetime) -> None:
    """Delete the rollup of the UTC days from `start` to `end` (midnights): retention dropped every event
    recorded then (a month of the partitioned ledger), and the rollup counts events by the day recorded."""
    table = ConsentRollup.__table__
    session.execute(delete(table).where(table.c.day >= start.date(), table.c.day < end.date()))


def _rollup_counts(events: Iterable[ConsentEvent | EventValues]) -> Counter[RollupKey]:
    """Rollup keys (in KEY_COLUMNS order) and how much each one counts, for these events."""
    counts: Counter[RollupKey] = Counter()
    choices: dict[tuple[int, datetime, str], RollupKey] = {}
    for event in events:
        day = event.recorded_at.astimezone(UTC).date()
        dimensions = (event.country or MISSING, event.language or MISSING, event.regime, event.subject_id % SHARDS)
        prop = event.property_key or MISSING
        counts[(day, RollupKind.EVENT.value, prop, event.purpose, event.decision, event.method, *dimensions)] += 1
        if event.method in BANNER_METHODS:
            # One choice per subject, instant and method, however many purposes it covered.
            choices[(event.subject_id, event.recorded_at, event.method)] = (
                day,
                RollupKind.CHOICE.value,
                prop,
                MISSING,
                MISSING,
                event.method,
                *dimensions,
            )
    counts.update(choices.values())
    return counts


def _add(session: Session, counts: Counter[RollupKey], *, sign: int) -> None:
    if not counts:
        return
    connection = session.connection()
    connection.execute(_add_statement(connection.dialect.name), _rows(counts, sign=sign))


def _rows(counts: Counter[RollupKey], *, sign: int) -> list[dict[str, Any]]:
    # Sorted, so concurrent writers take the rows' locks in one order and cannot deadlock on them.
    return [dict(zip(KEY_COLUMNS, key, strict=True), count=sign * n) for key, n in sorted(counts.items())]


@functools.lru_cache(maxsize=2)
def _add_statement(dialect: str) -> Insert:
    """Built once per dialect; requests only bind the rows (one multi-row statement)."""
    table = ConsentRollup.__table__
    statement = dialect_insert(dialect)(table)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS), set_={"count": table.c["count"] + statement.excluded["count"]}
    )
    return upsert


# --- rebuilding from the ledger ------------------------------------------------------------------


def rebuild_rollups(*, session: Session) -> int:
    """Replace the rollup with a recomputation from consent_events, in the caller's transaction; rows written."""
    table = ConsentRollup.__table__
    if session.get_bind().dialect.name == "postgresql":
        # A rebuild of a large ledger takes longer than the per-request statement timeout allows.
        session.execute(text("SET LOCAL statement_timeout = 0"))
        # Writers wait (readers do not) until this commits: a request whose events this rebuild does not
        # see adds its counts after it, and one it sees has already committed its own counts.
        session.execute(text("LOCK TABLE consent_rollups IN EXCLUSIVE MODE"))
    session.execute(delete(table))
    ledger = _ledger_rows(session, shard=True)
    insert = table.insert().from_select([*KEY_COLUMNS, "count"], ledger)
    result = typing.cast(CursorResult[Any], session.execute(insert, execution_options={"preserve_rowcount": True}))
    return result.rowcount


def _ledger_rows(
    session: Session,
    *,
    shard: bool,
    start: date | None = None,
    end: date | None = None,
    subject_ids: Sequence[int] | None = None,
) -> CompoundSelect[*tuple[Any, ...]]:
    """The rollup's rows (in KEY_COLUMNS order, then the count), computed from the ledger with GROUP BY:
    events, then choices; of the whole ledger, of the UTC days start..end, or of some subjects."""
    events = ConsentEvent.__table__
    day = _utc_day(session, events.c.recorded_at)
    where = []
    if start is not None and end is not None:
        where = [events.c.recorded_at >= _midnight(start), events.c.recorded_at < _midnight(end + timedelta(days=1))]
    if subject_ids is not None:
        where.append(events.c.subject_id.in_(subject_ids))
    common = [func.coalesce(events.c.property_key, MISSING).label("property_key")]
    dimensions = [
        func.coalesce(events.c.country, MISSING).label("country"),
        func.coalesce(events.c.language, MISSING).label("language"),
        events.c.regime.label("regime"),
        *([(events.c.subject_id % SHARDS).label("shard")] if shard else []),
    ]
    event_rows = (
        select(
            day.label("day"),
            literal(RollupKind.EVENT.value, String).label("kind"),
            *common,
            events.c.purpose.label("purpose"),
            events.c.decision.label("decision"),
            events.c.method.label("method"),
            *dimensions,
            func.count().label("count"),
        )
        .where(*where)
        .group_by(day, *common, events.c.purpose, events.c.decision, events.c.method, *dimensions)
    )
    # One choice per subject, instant and method: the columns after those three are the same for every
    # event of one request (they come from its context), so DISTINCT over all of them counts requests.
    choice_events = (
        select(
            events.c.subject_id,
            events.c.recorded_at,
            events.c.method,
            day.label("day"),
            *common,
            *dimensions,
        )
        .where(events.c.method.in_(BANNER_METHODS), *where)
        .distinct()
        .subquery("choice_events")
    )
    c = choice_events.c
    choice_keys = [c.day, c.property_key, c.method, c.country, c.language, c.regime, *([c.shard] if shard else [])]
    choice_rows = select(
        c.day,
        literal(RollupKind.CHOICE.value, String).label("kind"),
        c.property_key,
        literal(MISSING, String).label("purpose"),
        literal(MISSING, String).label("decision"),
        *choice_keys[2:],
        func.count().label("count"),
    ).group_by(*choice_keys)
    return union_all(event_rows, choice_rows)


def _utc_day(session: Session, moment: ColumnElement[datetime]) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", moment), Date)
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'; date() gives the 'YYYY-MM-DD' a Date column stores.
    return type_coerce(func.date(moment), Date)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- reading -------------------------------------------------------------------------------------


def consent_rates(
    *,
    session: Session,
    start: date,
    end: date,
    interval: Interval = Interval.DAY,
    group_by: GroupBy | None = None,
    property_key: str | None = None,
    purpose: str | None = None,
) -> ConsentRates:
    """Rates and choice splits per period from the rollup alone (never the ledger)."""
    _require_known_purpose(session, purpose)
    source = ConsentRollup.__table__
    where = [source.c.day >= start, source.c.day <= end]
    return _answer(
        session,
        source,
        where,
        start=start,
        end=end,
        interval=interval,
        group_by=group_by,
        property_key=property_key,
        purpose=purpose,
    )


def recompute(
    *,
    session: Session,
    start: date,
    end: date,
    interval: Interval = Interval.DAY,
    group_by: GroupBy | None = None,
    property_key: str | None = None,
    purpose: str | None = None,
) -> ConsentRates:
    """The same answer as consent_rates, computed by scanning the ledger (tests, cross-checks)."""
    _require_known_purpose(session, purpose)
    source = _ledger_rows(session, shard=False, start=start, end=end).subquery("ledger_rollup")
    return _answer(
        session,
        source,
        [],
        start=start,
        end=end,
        interval=interval,
        group_by=group_by,
        property_key=property_key,
        purpose=purpose,
    )


def property_key_for(*, session: Session, reference: str) -> str:
    """A property's publishable key from that key or the property's id; 422 naming `property` if none."""
    try:
        if reference.startswith(PUBLISHABLE_KEY_PREFIX):
            return properties.get_by_key(session=session, publishable_key=reference).publishable_key
        return properties.get(session=session, property_id=reference).publishable_key
    except NotFound as missing:
        raise ValidationFailed("Unknown property.", errors={"property": [missing.message]}) from missing


def _require_known_purpose(session: Session, purpose: str | None) -> None:
    if purpose is not None:
        purposes.require_known(purposes.catalogue(session=session), {"purpose": purpose})


def _answer(
    session: Session,
    source: FromClause,
    where: list[ColumnElement[bool]],
    *,
    start: date,
    end: date,
    interval: Interval,
    group_by: GroupBy | None,
    property_key: str | None,
    purpose: str | None,
) -> ConsentRates:
    c = source.c
    period = _period_start(session, c.day, interval).label("period_start")
    group = (c[group_by.value] if group_by else literal(MISSING, String)).label("group_value")
    if property_key is not None:
        where = [*where, c.property_key == property_key]
    event_where = [*where, c.kind == RollupKind.EVENT.value]
    if purpose is not None:
        event_where.append(c.purpose == purpose)
    total = func.sum(c["count"]).label("total")
    event_counts = session.execute(
        select(period, group, c.purpose, c.decision, total)
        .where(*event_where)
        .group_by(period, group, c.purpose, c.decision)
    )
    choice_counts = session.execute(
        select(period, group, c.method, total)
        .where(*where, c.kind == RollupKind.CHOICE.value)
        .group_by(period, group, c.method)
    )
    group_of = (lambda value: value or UNKNOWN_GROUP) if group_by else (lambda value: None)
    return ConsentRates(
        start=start,
        end=end,
        interval=interval,
        group_by=group_by,
        property_key=property_key,
        purpose=purpose,
        rates=_rates(event_counts, group_of),
        choices=_choices(choice_counts, group_of),
    )


def _period_start(session: Session, day: ColumnElement[date], interval: Interval) -> ColumnElement[date]:
    if interval is Interval.DAY:
        return day
    if session.get_bind().dialect.name == "postgresql":
        unit = "week" if interval is Interval.WEEK else "month"  # PostgreSQL's weeks are ISO weeks: Monday
        return cast(func.date_trunc(unit, cast(day, DateTime)), Date)
    if interval is Interval.WEEK:
        # The next Sunday (or the day itself), less six days: the Monday of its ISO week.
        return type_coerce(func.date(day, "weekday 0", "-6 days"), Date)
    return type_coerce(func.date(day, "start of month"), Date)


def _rates(rows: Iterable[Sequence[Any]], group_of: GroupOf) -> list[PurposeRate]:
    tally: dict[tuple[date, str | None, str], Counter[str]] = defaultdict(Counter)
    for period_start, group, purpose, decision, count in rows:
        tally[(period_start, group_of(group), purpose)][decision] += int(count)
    rates = []
    for (period_start, group, purpose), counts in tally.items():
        granted, denied, withdrawn = (counts[d.value] for d in (Decision.GRANTED, Decision.DENIED, Decision.WITHDRAWN))
        decided = granted + denied + withdrawn
        if decided == 0:
            continue  # every event of the period left the ledger (retention); as if none had been recorded
        rates.append(
            PurposeRate(
                period_start=period_start,
                group=group,
                purpose=purpose,
                granted=granted,
                denied=denied,
                withdrawn=withdrawn,
                opt_in_rate=granted / decided,
            )
        )
    return sorted(rates, key=lambda r: (r.period_start, r.group or "", r.purpose))


def _choices(rows: Iterable[Sequence[Any]], group_of: GroupOf) -> list[ChoiceSplit]:
    tally: dict[tuple[date, str | None], Counter[str]] = defaultdict(Counter)
    for period_start, group, method, count in rows:
        tally[(period_start, group_of(group))][method] += int(count)
    splits = []
    for (period_start, group), counts in tally.items():
        accept_all, reject_all, custom = (counts[m] for m in BANNER_METHODS)
        total = accept_all + reject_all + custom
        if total == 0:
            continue
        splits.append(
            ChoiceSplit(
                period_start=period_start,
                group=group,
                accept_all=accept_all,
                reject_all=reject_all,
                custom=custom,
                total=total,
            )
        )
    return sorted(splits, key=lambda s: (s.period_start, s.group or ""))
