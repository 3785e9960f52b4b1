"""Wire format of the consent-rate report: its query, its JSON answer, and its CSV rendering."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.clock import now
from consent_service.fields import PURPOSE_KEY
from consent_service.reports.service import ConsentRates, GroupBy, Interval

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 3 * 366  # three years, whatever the leap years


class ConsentRatesQuerySchema(ma.Schema):
    """`to` defaults to today (UTC, by the service's clock), `from` to 29 days before `to`."""

    property = fields.String(
        validate=validate.Length(1, 64), metadata={"description": "The property's publishable key (pk_...) or its id"}
    )
    purpose = fields.String(validate=PURPOSE_KEY, metadata={"description": "Only this purpose's rates"})
    start = fields.Date(data_key="from", metadata={"description": "First UTC day, inclusive (YYYY-MM-DD)"})
    end = fields.Date(data_key="to", metadata={"description": "Last UTC day, inclusive (YYYY-MM-DD)"})
    interval = fields.Enum(Interval, by_value=True, load_default=Interval.DAY)
    group_by = fields.Enum(GroupBy, by_value=True)

    @ma.post_load
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        end = data.get("end") or now().date()
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if end < start:
            raise ma.ValidationError({"to": ["Must not be before from."]})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise ma.ValidationError({"to": [f"A report covers at most {MAX_RANGE_DAYS} days."]})
        return data | {"start": start, "end": end}


class PurposeRateSchema(ma.Schema):
    period_start = fields.Date(
        required=True, metadata={"description": "First day of the day, ISO week (Monday) or month"}
    )
    group = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The group's value; null when not grouped, unknown when not recorded"},
    )
    purpose = fields.String(required=True)
    granted = fields.Integer(required=True)
    denied = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    opt_in_rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "granted / (granted + denied + withdrawn)"}
    )


class ChoiceSplitSchema(ma.Schema):
    period_start = fields.Date(required=True)
    group = fields.String(required=True, allow_none=True)
    accept_all = fields.Integer(required=True)
    reject_all = fields.Integer(required=True)
    custom = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Banner choices: one per visitor choice"})
    accept_all_share = fields.Float(required=True, allow_none=True)
    reject_all_share = fields.Float(required=True, allow_none=True)
    custom_share = fields.Float(required=True, allow_none=True)


class ConsentRatesSchema(ma.Schema):
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)
    interval = fields.Enum(Interval, by_value=True, required=True)
    group_by = fields.Enum(GroupBy, by_value=True, required=True, allow_none=True)
    property = fields.String(
        attribute="property_key",
        required=True,
        allow_none=True,
        metadata={"description": "The publishable key filtered on, if any"},
    )
    purpose = fields.String(required=True, allow_none=True)
    rates = fields.List(
        fields.Nested(PurposeRateSchema),
        required=True,
        metadata={"description": "Per period, group and purpose; sorted in that order"},
    )
    choices = fields.List(
        fields.Nested(ChoiceSplitSchema),
        required=True,
        metadata={"description": "Banner choices per period and group (whatever the purpose filter)"},
    )


CSV_COLUMNS = (
    "row",
    "period_start",
    "group",
    "purpose",
    "granted",
    "denied",
    "withdrawn",
    "opt_in_rate",
    "accept_all",
    "reject_all",
    "custom",
    "total",
    "accept_all_share",
    "reject_all_share",
    "custom_share",
)
CSV_DESCRIPTION = (
    "One header line, then a `rate` row per period, group and purpose (granted, denied, withdrawn, opt_in_rate) "
    "and a `choices` row per period and group (accept_all, reject_all, custom, total and their shares); "
    "the columns of the other kind of row are empty. Rates and shares have four decimals."
)
CSV_EXAMPLE = (
    ",".join(CSV_COLUMNS) + "\r\n"
    "rate,2026-01-05,DE,analytics,120,75,5,0.6000,,,,,,,\r\n"
    "choices,2026-01-05,DE,,,,,,90,60,30,180,0.5000,0.3333,0.1667\r\n"
)


def to_csv(report: ConsentRates) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rate in report.rates:
        writer.writerow(
            [
                "rate",
                rate.period_start.isoformat(),
                rate.group or "",
                rate.purpose,
                rate.granted,
                rate.denied,
                rate.withdrawn,
                _share(rate.opt_in_rate),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    for split in report.choices:
        writer.writerow(
            [
                "choices",
                split.period_start.isoformat(),
                split.group or "",
                "",
                "",
                "",
                "",
                "",
                split.accept_all,
                split.reject_all,
                split.custom,
                split.total,
                _share(split.accept_all_share),
                _share(split.reject_all_share),
                _share(split.custom_share),
            ]
        )
    return out.getvalue()


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


class PrivacyRequestReportQuerySchema(ma.Schema):
    """`end` defaults to today (UTC, by the service's clock), `start` to 29 days before `end`."""

    start = fields.Date(metadata={"description": "First UTC day of the period, inclusive (YYYY-MM-DD)"})
    end = fields.Date(metadata={"description": "Last UTC day of the period, inclusive (YYYY-MM-DD)"})

    @ma.post_load
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        end = data.get("end") or now().date()
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if end < start:
            raise ma.ValidationError({"end": ["Must not be before start."]})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise ma.ValidationError({"end": [f"A report covers at most {MAX_RANGE_DAYS} days."]})
        return data | {"start": start, "end": end}


class RequestCountsSchema(ma.Schema):
    open = fields.Integer(required=True, metadata={"description": "Not closed now (unverified or in progress)"})
    overdue = fields.Integer(required=True, metadata={"description": "Open now and past the due date"})
    due_soon = fields.Integer(
        required=True, metadata={"description": "Open now and due within the rules' due_soon_days"}
    )
    closed = fields.Integer(required=True, metadata={"description": "Completed or refused in the period"})
    median_days_to_close = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Median days from receipt to close of those closed in the period; null if none"},
    )


class PrivacyRequestReportSchema(RequestCountsSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    by_type = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(RequestCountsSchema),
        required=True,
        metadata={"description": "The same counts per request type (every type, zeros included)"},
    )
