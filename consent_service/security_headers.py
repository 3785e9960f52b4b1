"""Security headers on every response: nosniff, a strict CSP on HTML, HSTS over https, no framing."""
from __future__ import annotations

from flask import Flask, request

HSTS = "max-age=31536000; includeSubDomains"
STRICT_HTML_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# The demo page stands in for a customer's own site, whose script policy is the customer's (inline tags
# the banner unblocks, test drivers evaluating scripts), and frames its fake video; Swagger UI boots from
# an inline script. Both still refuse to be framed by other sites.
RELAXED_HTML_POLICY = "frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
RELAXED_ENDPOINTS = {"site.demo", "site.demo_embed", "api-docs.openapi_swagger_ui"}


def init_app(app: Flask, *, secure_cookies: bool) -> None:
    # The service sets no cookie today; any it ever sets (Flask's session) is locked down by default.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=secure_cookies, SESSION_COOKIE_SAMESITE="Lax")

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            policy = RELAXED_HTML_POLICY if request.endpoint in RELAXED_ENDPOINTS else STRICT_HTML_POLICY
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if request.endpoint in RELAXED_ENDPOINTS else "DENY")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
