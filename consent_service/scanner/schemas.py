"""Wire format of cookie declarations and compliance scans (admin), and of the public declaration."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from consent_service.fields import LANGUAGE, ORIGIN, PAGE_URL, PURPOSE_KEY, Changes, FullMatch
from consent_service.localized_texts import FALLBACK_LANGUAGE
from consent_service.scanner.options import OPTION_BOUNDS
from consent_service.scanner.service import (
    COOKIE_DOMAIN,
    COOKIE_NAME_GLOB,
    DOMAIN_ERROR,
    MAX_DOMAIN_LENGTH,
    MAX_EXTRA_ORIGINS,
    MAX_URLS,
)
from consent_service.vocabulary import NOT_SPACE, ScanStatus


class DeclarationSchema(ma.Schema):
    """Which purposes and domains a declaration may name is decided in the service."""

    id = fields.String(dump_only=True, metadata={"description": "ckd_..."})
    property_id = fields.String(dump_only=True)
    name_pattern = fields.String(
        required=True,
        validate=[
            validate.Length(1, 200),
            FullMatch(COOKIE_NAME_GLOB.pattern, error="A cookie name, or a glob with * such as _ga_*."),
        ],
        metadata={"description": "The cookie's name, or a glob with * such as _ga_*"},
    )
    # The one pattern normalize_domain parses by, so the document allows exactly the domains the service takes.
    domain = fields.String(
        allow_none=True,
        validate=[validate.Length(max=MAX_DOMAIN_LENGTH), FullMatch(COOKIE_DOMAIN.pattern, error=DOMAIN_ERROR)],
        metadata={
            "description": "The host it is set on (example.com, or .example.com as a Domain attribute says it), or "
            "an IP address (192.0.2.1, 2001:db8::1 or [2001:db8::1]); stored in lower case without the outer dots. "
            "null or empty: any"
        },
    )
    purpose = fields.String(
        required=True,
        validate=PURPOSE_KEY,
        metadata={
            "description": "One of the property's purposes, or necessary, preferences, analytics, advertising",
            "example": "analytics",
        },
    )
    # Texts the service strips: the document says each holds something besides blanks.
    retention = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "As visitors read it: 13 months", "pattern": NOT_SPACE},
    )
    description = fields.Dict(
        keys=fields.String(validate=LANGUAGE),
        values=fields.String(validate=validate.Length(1, 1000), metadata={"pattern": NOT_SPACE}),
        required=True,
        validate=validate.Length(1, 20),
        metadata={"description": "Language -> what the cookie does; en is required", "required": [FALLBACK_LANGUAGE]},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class DeclarationPatchSchema(Changes, DeclarationSchema):
    """Every field optional, at least one sent: only the fields sent change."""


class DeclarationListSchema(ma.Schema):
    declarations = fields.List(fields.Nested(DeclarationSchema), required=True, validate=validate.Length(max=500))


def option_range(name: str) -> validate.Range:
    low, high = OPTION_BOUNDS[name]
    return validate.Range(low, high, error=f"A whole number from {low} to {high}.")


class ScanRequestSchema(ma.Schema):
    """The bounds of the options are the service's (scanner.options.OPTION_BOUNDS); the list sizes bound the input."""

    urls = fields.List(
        fields.String(validate=[validate.Length(1, 2000), PAGE_URL]),
        required=True,
        validate=validate.Length(1, MAX_URLS, error=f"Between 1 and {MAX_URLS} page URLs."),
        metadata={"description": "The http(s) pages to start from; links on the same site are followed"},
    )
    # The same bounds as the service's, so the document states them.
    max_pages = fields.Integer(validate=option_range("max_pages"), metadata={"description": "Pages (50)"})
    page_seconds = fields.Integer(validate=option_range("page_seconds"), metadata={"description": "Per page (30)"})
    total_seconds = fields.Integer(validate=option_range("total_seconds"), metadata={"description": "In all (900)"})
    extra_origins = fields.List(
        fields.String(validate=[validate.Length(1, 300), ORIGIN]),
        validate=validate.Length(max=MAX_EXTRA_ORIGINS),
        metadata={"description": "Other origins of the same operator whose pages may be visited"},
    )


class ProgressSchema(ma.Schema):
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)


class ScanSummarySchema(ma.Schema):
    """Dumps a Scan."""

    id = fields.String(required=True, metadata={"description": "scan_..."})
    property_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ScanStatus]))
    urls = fields.List(fields.String(), required=True)
    options = fields.Dict(required=True, metadata={"description": "max_pages, page_seconds, total_seconds, ..."})
    progress = fields.Nested(ProgressSchema, required=True, metadata={"description": "Pages done of pages to visit"})
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        allow_none=True,
        metadata={"description": "Findings by severity (violation, gap, stale), once done"},
    )
    error = fields.String(allow_none=True, metadata={"description": "Why a failed scan failed"})
    requested_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)

    @ma.pre_dump
    def _flatten(self, scan: Any, **kwargs: Any) -> dict[str, Any]:
        return _summary(scan)


def _summary(scan: Any) -> dict[str, Any]:
    return {
        **{name: getattr(scan, name) for name in SUMMARY_FIELDS},
        "progress": {"done": scan.pages_done, "total": scan.pages_total},
    }


SUMMARY_FIELDS = [name for name in ScanSummarySchema._declared_fields if name != "progress"]


class ScanListSchema(ma.Schema):
    scans = fields.List(fields.Nested(ScanSummarySchema), required=True)


class ScanSchema(ScanSummarySchema):
    """Dumps {"scan": Scan, "screenshots": [state, ...], "comparison": dict | None}."""

    # Raw: the findings' shape is the assessment's (scanner.findings), passed through as stored.
    findings = fields.List(fields.Raw(), allow_none=True, metadata={"description": "The assessment's findings"})
    assessment = fields.Dict(allow_none=True, metadata={"description": "The whole assessment, once done"})
    screenshots = fields.List(fields.String(), required=True, metadata={"description": "States with a screenshot"})
    comparison = fields.Dict(allow_none=True, metadata={"description": "What changed since the previous done scan"})

    @ma.pre_dump
    def _flatten(self, shown: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        scan, assessment = shown["scan"], shown["scan"].assessment
        return {
            **_summary(scan),
            "assessment": assessment,
            "findings": assessment.get("findings") if assessment is not None else None,
            "screenshots": shown["screenshots"],
            "comparison": shown["comparison"],
        }


class PublicDeclarationQuerySchema(ma.Schema):
    lang = fields.String(validate=validate.Length(2, 35), metadata={"description": "en, de or fr (or de-AT)"})


class DeclaredCookieSchema(ma.Schema):
    name = fields.String(required=True, metadata={"description": "The cookie's name, or a glob with *"})
    domain = fields.String(allow_none=True, required=True)
    retention = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": "In the language of the answer"})


class PublicDeclarationSchema(ma.Schema):
    language = fields.String(required=True)
    purposes = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(DeclaredCookieSchema)),
        required=True,
        metadata={"description": "Purpose key -> the cookies declared for it"},
    )
