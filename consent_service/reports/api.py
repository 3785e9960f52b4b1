"""HTTP endpoint of the consent-rate report (admin): JSON, or CSV with Accept: text/csv."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request
from sqlalchemy.orm import Session

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.openapi import READ_PLACE_HEADER, READ_PLACE_HEADERS
from consent_service.reports import service as reports
from consent_service.reports.privacy_requests import PrivacyRequestReport, privacy_request_report
from consent_service.reports.schemas import (
    CSV_DESCRIPTION,
    CSV_EXAMPLE,
    ConsentRatesQuerySchema,
    ConsentRatesSchema,
    PrivacyRequestReportQuerySchema,
    PrivacyRequestReportSchema,
    to_csv,
)
from consent_service.runtime import runtime
from consent_service.strict_json import Blueprint
from consent_service.vocabulary import Scope

CSV = "text/csv"
RESPONSE_DESCRIPTION = "The report: JSON by default; with `Accept: text/csv`, CSV. " + CSV_DESCRIPTION

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/v1/reports",
    description="Consent rates and banner choices over time; privacy requests open, overdue and closed.",
)


@blp.route("/consent-rates")
@require_scope(blp, Scope.ADMIN)
@blp.arguments(ConsentRatesQuerySchema, location="query", unknown=ma.RAISE)
@blp.response(200, ConsentRatesSchema, description=RESPONSE_DESCRIPTION, headers=READ_PLACE_HEADERS)
@blp.alt_response(
    200,
    schema={"type": "string"},
    content_type=CSV,
    success=True,
    description=RESPONSE_DESCRIPTION,
    example=CSV_EXAMPLE,
)
def consent_rates(args: dict[str, Any]) -> Response | tuple[reports.ConsentRates, dict[str, str]]:
    """Granted / denied / withdrawn per purpose with the opt-in rate, and the split of banner choices, per period."""

    def read(session: Session) -> reports.ConsentRates:
        property_key = (
            reports.property_key_for(session=session, reference=args["property"]) if "property" in args else None
        )
        return reports.consent_rates(
            session=session,
            start=args["start"],
            end=args["end"],
            interval=args["interval"],
            group_by=args.get("group_by"),
            property_key=property_key,
            purpose=args.get("purpose"),
        )

    report, place = runtime().reads.run(db.session(), read)
    if request.accept_mimetypes.best_match(["application/json", CSV]) == CSV:
        filename = f"consent-rates_{report.start.isoformat()}_{report.end.isoformat()}.csv"
        return Response(
            to_csv(report),
            mimetype=CSV,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', READ_PLACE_HEADER: place.value},
        )
    return report, {READ_PLACE_HEADER: place.value}


@blp.route("/privacy-requests")
@require_scope(blp, Scope.ADMIN)
@blp.arguments(PrivacyRequestReportQuerySchema, location="query", unknown=ma.RAISE)
@blp.response(200, PrivacyRequestReportSchema)
def privacy_requests(args: dict[str, Any]) -> PrivacyRequestReport:
    """Open, overdue and due-soon privacy requests now; those closed in the period and their median days to
    close; in total and per request type."""
    return privacy_request_report(
        session=db.session(), rules=runtime().rules, start=args["start"], end=args["end"], now=now()
    )
