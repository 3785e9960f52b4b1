"""The dashboard: its controls (range, interval, grouping, property), the report, and its charts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from consent_service.console import charts
from consent_service.reports import service as reports
from consent_service.reports.service import ChoiceSplit, GroupBy, Interval, PurposeRate

DEFAULT_DAYS = 30
MAX_DAYS = 400  # the rollup is per day; a longer range is a job for the reports API
CHOICE_NAMES = {"accept_all": "Accept all", "reject_all": "Reject all", "custom": "Custom"}


@dataclass(frozen=True)
class Controls:
    start: date
    end: date
    interval: Interval
    group_by: GroupBy | None
    property_key: str | None


@dataclass(frozen=True)
class Total:
    purpose: str
    granted: int
    denied: int
    withdrawn: int

    @property
    def decided(self) -> int:
        return self.granted + self.denied + self.withdrawn

    @property
    def opt_in_rate(self) -> float | None:
        return self.granted / self.decided if self.decided else None


@dataclass(frozen=True)
class Dashboard:
    controls: Controls
    rates: list[PurposeRate]
    choices: list[ChoiceSplit]
    totals: list[Total]
    choice_totals: dict[str, int]
    rate_chart: charts.Chart
    choice_chart: charts.Chart


def _date(raw: str | None, default: date, field: str, errors: dict[str, str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "A date such as 2026-01-31."
        return default


def parse_controls(args: Mapping[str, str], *, today: date, property_keys: set[str]) -> tuple[Controls, dict[str, str]]:
    """The controls of a GET form; a field that does not parse falls back to its default and is named in the errors."""
    errors: dict[str, str] = {}
    end = _date(args.get("to"), today, "to", errors)
    start = _date(args.get("from"), end - timedelta(days=DEFAULT_DAYS - 1), "from", errors)
    if start > end:
        errors["from"] = "The start must not be after the end."
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    elif (end - start).days + 1 > MAX_DAYS:
        errors["from"] = f"At most {MAX_DAYS} days at once."
        start = end - timedelta(days=MAX_DAYS - 1)
    interval = Interval.DAY
    if args.get("interval"):
        try:
            interval = Interval(args["interval"])
        except ValueError:
            errors["interval"] = "Day, week or month."
    group_by = None
    if args.get("group_by"):
        try:
            group_by = GroupBy(args["group_by"])
        except ValueError:
            errors["group_by"] = "Country, language, regime or method."
    property_key = args.get("property") or None
    if property_key is not None and property_key not in property_keys:
        errors["property"] = "Not one of the properties."
        property_key = None
    return Controls(start, end, interval, group_by, property_key), errors


def period_start(day: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval is Interval.MONTH:
        return day.replace(day=1)
    return day


def periods(start: date, end: date, interval: Interval) -> list[date]:
    """Every period the range touches, so the time axis has no holes where nothing happened."""
    found: list[date] = []
    day = start
    while day <= end:
        first = period_start(day, interval)
        if not found or found[-1] != first:
            found.append(first)
        day += timedelta(days=1)
    return found


def build(*, session: Session, controls: Controls) -> Dashboard:
    report = reports.consent_rates(
        session=session,
        start=controls.start,
        end=controls.end,
        interval=controls.interval,
        group_by=controls.group_by,
        property_key=controls.property_key,
    )
    axis = periods(controls.start, controls.end, controls.interval)
    # The charts show every group together; the tables below keep the groups apart.
    counts: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for rate in report.rates:
        cell = counts[rate.purpose][rate.period_start]
        cell[0] += rate.granted
        cell[1] += rate.denied
        cell[2] += rate.withdrawn
    by_purpose = {
        purpose: {period: (g / (g + d + w) if g + d + w else None) for period, (g, d, w) in cells.items()}
        for purpose, cells in counts.items()
    }
    totals = [
        Total(purpose, *(sum(cell[i] for cell in cells.values()) for i in range(3)))
        for purpose, cells in sorted(counts.items())
    ]
    splits: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHOICE_NAMES, 0))
    for split in report.choices:
        for kind in CHOICE_NAMES:
            splits[split.period_start][kind] += getattr(split, kind)
    choice_totals = {kind: sum(split[kind] for split in splits.values()) for kind in CHOICE_NAMES}
    choice_totals["total"] = sum(choice_totals.values())
    return Dashboard(
        controls=controls,
        rates=report.rates,
        choices=report.choices,
        totals=totals,
        choice_totals=choice_totals,
        rate_chart=charts.rate_lines(axis, by_purpose),
        choice_chart=charts.choice_bars(axis, splits, CHOICE_NAMES),
    )
