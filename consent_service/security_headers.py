"""Every security header the service sends, built in one place from what each kind of page declares it needs.

Every response is nosniff, and HSTS over https. An HTML page gets a Content-Security-Policy and
X-Frame-Options built from its `Needs`: by default the strict policy of the service's own pages; the
preference pages and the console declare theirs (`protect`), and the pages standing in for a customer's
site keep the customer's script policy (`PAGE_OWN_SCRIPTS`).

Why not flask-talisman: it would replace this module's ~100 lines with configuration of nearly every one
of its options (its defaults differ from our headers: another Referrer-Policy, a Permissions-Policy,
HTTPS redirects, cookie flags), still need per-blueprint overrides for the console and the preference
pages, and build its headers per request on every response, the banner's hot paths included; here the
header sets are built once at import, and only the console's preview formats a nonce per request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, request

HSTS = "max-age=31536000; includeSubDomains"
NONCE_KEY = "consent_service.style_nonce"


@dataclass(frozen=True)
class Needs:
    """What a page needs beyond nothing at all (default-src 'none'; its own stylesheets; forms to itself)."""

    scripts: bool = False  # its own scripts
    images: bool = False  # its own images and data: URLs
    fetch: bool = False  # requests to its own origin from script
    frames: bool = False  # frames of its own pages
    forms: bool = True  # forms posting to its own origin (else none at all)
    style_nonce: bool = False  # one inline <style> passing by a per-response nonce
    framed_by_self: bool = False  # may be framed by its own origin (else by nobody)
    own_script_policy: bool = False  # stands in for a customer's page, whose sources are the customer's to set
    # object-src 'none' spelled out; default-src 'none' already refuses plugins.
    plugins_refused: bool = False
    extra: tuple[tuple[str, str], ...] = ()  # other headers of this kind of page (a tuple: Needs is a dict key)


def content_security_policy(needs: Needs, *, nonce: str | None = None) -> str:
    directives: list[tuple[str, str]] = []
    if not needs.own_script_policy:
        style = f"'self' 'nonce-{nonce}'" if needs.style_nonce else "'self'"
        directives += [
            ("default-src", "'none'"),
            ("script-src", "'self'" if needs.scripts else ""),
            ("style-src", style),
            ("img-src", "'self' data:" if needs.images else ""),
            ("connect-src", "'self'" if needs.fetch else ""),
            ("frame-src", "'self'" if needs.frames else ""),
            ("form-action", "'self'" if needs.forms else "'none'"),
        ]
    directives += [
        ("frame-ancestors", "'self'" if needs.framed_by_self else "'none'"),
        ("base-uri", "'none'"),
        ("object-src", "'none'" if needs.plugins_refused else ""),
    ]
    return "; ".join(f"{name} {sources}" for name, sources in directives if sources)


def headers_for(needs: Needs, *, nonce: str | None = None) -> dict[str, str]:
    """The page-level headers of this kind of page."""
    return {
        "Content-Security-Policy": content_security_policy(needs, nonce=nonce),
        "X-Frame-Options": "SAMEORIGIN" if needs.framed_by_self else "DENY",
        **dict(needs.extra),
    }


# The service's own HTML pages (error pages, the JSON endpoints' HTML answers).
STRICT_PAGE = Needs(scripts=True, images=True, fetch=True, plugins_refused=True)
# The demo page stands in for a customer's own site, whose script policy is the customer's (inline tags
# the banner unblocks, test drivers evaluating scripts), and frames its fake video; Swagger UI boots from
# an inline script. Both still refuse to be framed by other sites.
PAGE_OWN_SCRIPTS = Needs(own_script_policy=True, framed_by_self=True, plugins_refused=True)
OWN_SCRIPTS_ENDPOINTS = {"site.demo", "site.demo_embed", "api-docs.openapi_swagger_ui"}
# The pages behind the signed links in emails: no script at all, and the URL (it carries the token) is
# never handed to another site.
PREFERENCE_PAGE = Needs(
    extra=(
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("X-Robots-Tag", "noindex, nofollow"),
    )
)
_CONSOLE = (("Cache-Control", "no-store"), ("Referrer-Policy", "same-origin"), ("X-Robots-Tag", "noindex, nofollow"))
CONSOLE_PAGE = Needs(scripts=True, images=True, frames=True, plugins_refused=True, extra=_CONSOLE)
# The preview runs consent.js in a frame of the console: its one <style> passes by nonce.
CONSOLE_PREVIEW = Needs(
    scripts=True, images=True, forms=False, style_nonce=True, framed_by_self=True, plugins_refused=True, extra=_CONSOLE
)

_STRICT_HEADERS = headers_for(STRICT_PAGE)
_OWN_SCRIPTS_HEADERS = headers_for(PAGE_OWN_SCRIPTS)


def style_nonce() -> str:
    """The nonce of this response's inline <style> (a page of Needs(style_nonce=True) puts it on the tag)."""
    # Kept with the request, not on g: an app context (a test's, a CLI's) can outlive many requests.
    nonce: str = request.environ.setdefault(NONCE_KEY, secrets.token_urlsafe(16))
    return nonce


def protect(blueprint: Blueprint, needs: Needs, *, by_endpoint: Mapping[str, Needs] | None = None) -> None:
    """Every response of `blueprint` (HTML or not) carries the headers of its kind of page; `by_endpoint`
    names the endpoints that need something else."""
    fixed = {each: headers_for(each) for each in {needs, *(by_endpoint or {}).values()} if not each.style_nonce}

    @blueprint.after_request
    def _page_headers(response: Response) -> Response:
        wanted = (by_endpoint or {}).get(request.endpoint or "", needs)
        response.headers.update(fixed.get(wanted) or headers_for(wanted, nonce=style_nonce()))
        return response


def init_app(app: Flask, *, secure_cookies: bool) -> None:
    # The service sets no cookie today; any it ever sets (Flask's session) is locked down by default.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=secure_cookies, SESSION_COOKIE_SAMESITE="Lax")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            # Pages of a protected blueprint have theirs already (blueprint hooks run first).
            for name, value in (
                _OWN_SCRIPTS_HEADERS if request.endpoint in OWN_SCRIPTS_ENDPOINTS else _STRICT_HEADERS
            ).items():
                response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
