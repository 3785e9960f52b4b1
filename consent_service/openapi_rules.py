"""The rules only the service can check (what exists, what lies in what, rules across fields): one table, published in
each operation's description and as `x-rules-beyond-schema`, the only 422s a schema-valid request may get."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

# Why each rule is beyond an OpenAPI schema, said once and reused below. What a schema can state (a language code
# as a map's key, a cookie domain's form) it states instead: openapi_fields.py, and tests/e2e fuzz both.
REGION = "must be a real ISO 3166-2 subdivision and lie in `country` (a list of thousands, and a rule across fields)"
CURSOR = "must be a cursor this API returned (opaque, signed)"
PURPOSE = "must name a purpose of the catalogue, which operators extend (GET /v1/purposes)"
PROPERTY = "must be an existing property"
REPORT_SPAN = "a report covers at most 1,098 days between the two dates (a rule across fields)"

PROPERTY_FIELDS = {
    "purposes.*": PURPOSE + "; a banner asks only for cookie purposes",
    "purposes": "at most 30 with necessary, which is always added (a rule across items)",
    "frameworks": "tcf needs a stored Global Vendor List (flask tcf gvl update; depends on stored data)",
    "tcf_vendors": "each a vendor of the stored Global Vendor List (depends on stored data)",
}
COOKIE_PURPOSE = "one of the property's purposes or a cookie category (depends on stored data)"
STAR_ALONE = "`*` alone only with a `domain` (a rule across fields)"
DECLARATION_FIELDS = {
    "purpose": COOKIE_PURPOSE,
    "name_pattern": STAR_ALONE,
}
SCC = "the date the clauses were signed, not after today (depends on the clock)"
DPF = "only a recipient whose `country` is US (a rule across fields)"
# The rules of one check, answered at the top level for a single check and under checks.N for a batch.
CHECK_FIELDS = {
    "region": REGION,
    "purposes.*": PURPOSE,
    "recipient": "must be a registered recipient (GET /v1/recipients)",
    "destination_country": "required to check a transfer purpose, and the recipient's country when one is named "
    "(depends on the catalogue and the recipients)",
}

# (method, path as the document spells it) -> {error field: why}. An error field is a key of the JSON error's
# `errors` object; `*` stands for any list index or map key. tests/e2e/contract_hooks.py fails a run in which a
# schema-valid request is refused with 422 on a field not listed here.
RULES: dict[tuple[str, str], dict[str, str]] = {
    ("get", "/v1/privacy-requests"): {"cursor": CURSOR},
    ("get", "/v1/subjects/{kind}/{subject_id}/consent-events"): {"cursor": CURSOR},
    ("get", "/v1/reports/consent-rates"): {"to": REPORT_SPAN, "property": PROPERTY, "purpose": PURPOSE},
    ("get", "/v1/reports/privacy-requests"): {"end": REPORT_SPAN},
    ("get", "/v1/subjects/{kind}/{subject_id}/consents"): {"region": REGION},
    ("post", "/v1/subjects/{kind}/{subject_id}/tokens"): {"region": REGION},
    ("post", "/v1/subjects/{kind}/{subject_id}/consent-events"): {
        "region": REGION,
        "events.*.purpose": PURPOSE,
        "events.*.decision": "a purpose the catalogue marks not refusable cannot be denied or withdrawn",
        "events.*.method": "a method the rules (rules.json) accept for the purpose and decision: gpc decides only "
        "the purposes a GPC signal opts out of (rules as data)",
        "notified_at": "not later than now (depends on the clock)",
    },
    ("post", "/v1/properties/{property_id}/scans"): {
        "urls.*": "each on an origin the property allows (depends on stored data)",
        "extra_origins.*": "each an origin the property allows (depends on stored data)",
    },
    ("post", "/v1/subjects/customer/{subject_id}/double-opt-in"): {
        "region": REGION,
        "purpose": "must be a refusable communication purpose of the catalogue (GET /v1/purposes)",
    },
    ("post", "/v1/checks"): {
        **CHECK_FIELDS,
        **{f"checks.*.{field}": why for field, why in CHECK_FIELDS.items()},
    },
    ("post", "/v1/properties"): PROPERTY_FIELDS,
    ("patch", "/v1/properties/{property_id}"): PROPERTY_FIELDS,
    ("post", "/v1/notices"): {"purposes.*": PURPOSE},
    ("post", "/v1/preference-links"): {
        "purposes.*": PURPOSE,
        "notice_version": "required for a customer with no recorded decision to take it from (depends on stored data)",
    },
    ("post", "/v1/purposes"): {
        "defaults": "a purpose with `refusable: false` is granted in every regime (a rule across fields)"
    },
    ("post", "/v1/recipients"): {"dpf_certified": DPF, "scc": SCC},
    ("patch", "/v1/recipients/{key}"): {"dpf_certified": DPF, "scc": SCC},
    ("post", "/v1/privacy-requests"): {
        "property": PROPERTY,
        "region": REGION,
        "details.*": "which details are asked depends on `type` (a rule across fields)",
    },
    ("post", "/v1/properties/{property_id}/cookie-declarations"): DECLARATION_FIELDS,
    ("put", "/v1/properties/{property_id}/cookie-declarations"): {
        f"declarations.*.{field}": why for field, why in DECLARATION_FIELDS.items()
    },
    ("patch", "/v1/properties/{property_id}/cookie-declarations/{declaration_id}"): DECLARATION_FIELDS,
}

EXTENSION = "x-rules-beyond-schema"


def describe(rules: dict[str, str]) -> str:
    lines = [f"- `{field}`: {why}" for field, why in rules.items()]
    return "Refused with 422 by rules this schema cannot state, each under its key in `errors`:\n" + "\n".join(lines)


class RulesPlugin(BasePlugin):
    """Adds RULES to the operations they apply to, as apispec documents each path (tests/test_openapi.py checks that
    every entry names an operation of the document)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **_: Any) -> None:
        for method, operation in (operations or {}).items():
            rules = RULES.get((method, path or ""))
            if rules and isinstance(operation, dict):
                text = describe(rules)
                existing = operation.get("description")
                operation["description"] = f"{existing}\n\n{text}" if existing else text
                operation[EXTENSION] = dict(rules)
