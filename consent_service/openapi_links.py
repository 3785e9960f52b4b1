"""OpenAPI links: what a created resource's answer lets a client call next (and a stateful fuzzer follow)."""

from __future__ import annotations

from typing import Any, NamedTuple

from apispec import BasePlugin


class Follow(NamedTuple):
    """A link from one operation's answer to another operation, with where each path parameter comes from."""

    name: str
    method: str
    path: str
    parameters: dict[str, str]


def _by_id(name: str, path: str, parameter: str, methods: tuple[str, ...], **inherited: str) -> list[Follow]:
    return [
        Follow(f"{method.capitalize()}{name}", method, path, {parameter: "$response.body#/id", **inherited})
        for method in methods
    ]


FROM_PATH = {"property_id": "$request.path.property_id"}
# (method, path, status of success) -> the operations its answer leads to; paths as the document spells them.
LINKS: dict[tuple[str, str, str], list[Follow]] = {
    ("post", "/v1/properties", "201"): [
        *_by_id("Property", "/v1/properties/{property_id}", "property_id", ("get", "patch")),
        *_by_id("CookieDeclarations", "/v1/properties/{property_id}/cookie-declarations", "property_id", ("get",)),
        *_by_id("Scans", "/v1/properties/{property_id}/scans", "property_id", ("get",)),
    ],
    ("post", "/v1/webhooks", "201"): _by_id(
        "Webhook", "/v1/webhooks/{webhook_id}", "webhook_id", ("get", "patch", "delete")
    ),
    ("post", "/v1/privacy-requests", "201"): [
        *_by_id("PrivacyRequest", "/v1/privacy-requests/{request_id}", "request_id", ("get", "patch")),
        *_by_id("PrivacyRequestReceipt", "/v1/privacy-requests/{request_id}/receipt", "request_id", ("get",)),
    ],
    ("post", "/v1/recipients", "201"): [
        Follow(f"{method.capitalize()}Recipient", method, "/v1/recipients/{key}", {"key": "$response.body#/key"})
        for method in ("get", "patch")
    ],
    ("post", "/v1/properties/{property_id}/cookie-declarations", "201"): _by_id(
        "CookieDeclaration",
        "/v1/properties/{property_id}/cookie-declarations/{declaration_id}",
        "declaration_id",
        ("get", "patch", "delete"),
        **FROM_PATH,
    ),
    ("post", "/v1/properties/{property_id}/scans", "202"): _by_id(
        "Scan", "/v1/properties/{property_id}/scans/{scan_id}", "scan_id", ("get",), **FROM_PATH
    ),
    ("post", "/v1/subjects/{kind}/{subject_id}/consent-events", "201"): [
        Follow(
            f"Get{name}",
            "get",
            path,
            {"kind": "$request.path.kind", "subject_id": "$request.path.subject_id"},
        )
        for name, path in (
            ("Consents", "/v1/subjects/{kind}/{subject_id}/consents"),
            ("ConsentEvents", "/v1/subjects/{kind}/{subject_id}/consent-events"),
        )
    ],
}


def _operation_ref(follow: Follow) -> str:
    """A JSON pointer to the operation: the document names no operationIds."""
    return "#/paths/" + follow.path.replace("~", "~0").replace("/", "~1") + "/" + follow.method


class LinksPlugin(BasePlugin):
    """Adds LINKS to the answers they start from, as apispec documents each path (tests/test_openapi.py checks
    that every link starts at and leads to an operation of the document)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **_: Any) -> None:
        for method, operation in (operations or {}).items():
            for status, response in operation.get("responses", {}).items():
                follows = LINKS.get((method, path or "", str(status)))
                if follows and isinstance(response, dict):
                    response["links"] = {
                        follow.name: {"operationRef": _operation_ref(follow), "parameters": follow.parameters}
                        for follow in follows
                    }
