"""The built banner scripts (/consent.js, /consent-frameworks.js) and a demo page that shows them blocking scripts."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import marshmallow as ma
from flask import Response, abort, render_template, request

from consent_service.compression import send_precompressed
from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.runtime import runtime
from consent_service.strict_json import Blueprint

blp = Blueprint("site", __name__, description="The banner script and the demo page.")

SCRIPT = Path(__file__).resolve().parent.parent / "static" / "consent.js"
# The same core with the IAB stubs, Microsoft's signals and the framework loader: for properties with frameworks.
FRAMEWORKS_SCRIPT = SCRIPT.with_name("consent-frameworks.js")
SCRIPT_MAX_AGE_SECONDS = 86400
VERSIONED_MAX_AGE_SECONDS = 365 * 86400
VERSION_LENGTH = 16


class SnippetIntegritySchema(ma.Schema):
    url = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    integrity = ma.fields.String(
        required=True, metadata={"description": "sha384-<base64>, for the integrity attribute"}
    )


DEMO_PROPERTY_NAME = "Demo shop"


_SCRIPT_DOC = {
    "200": {
        "description": "The minified banner script",
        "content": {"application/javascript": {"schema": {"type": "string"}}},
    }
}
_VERSIONED_DOC = {
    "200": {
        "description": "The banner script at its immutable, versioned URL",
        "content": {"application/javascript": {"schema": {"type": "string"}}},
    },
    "404": {
        "description": "Not the current version",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}


def script_for(frameworks: list[str]) -> str:
    """The script a property's tag loads: consent-frameworks.js where it enables any framework, else consent.js."""
    return (FRAMEWORKS_SCRIPT if frameworks else SCRIPT).name


def _send(script: Path, max_age: int, immutable: bool = False) -> Response:
    return send_precompressed(script, mimetype="application/javascript", max_age=max_age, immutable=immutable)


@blp.route("/consent.js")
@blp.doc(responses=_SCRIPT_DOC)
def consent_js():
    """The banner script: one tag, `<script src=".../consent.js" data-property="pk_..." async>`.

    Sent brotli- or gzip-compressed (as built by js-snippet) to clients that accept it."""
    return _send(SCRIPT, SCRIPT_MAX_AGE_SECONDS)


@blp.route("/consent-frameworks.js")
@blp.doc(responses=_SCRIPT_DOC)
def consent_frameworks_js():
    """The banner script for properties with frameworks: consent.js plus the IAB stubs, UET and Clarity
    signals and the framework files' loader. `<script src=".../consent-frameworks.js" data-property="pk_..."
    data-frameworks="gpp tcf">`; sent compressed like consent.js."""
    return _send(FRAMEWORKS_SCRIPT, SCRIPT_MAX_AGE_SECONDS)


def snippet_version(script: Path = SCRIPT) -> tuple[str, str]:
    """The script's content version (a short hash) and its Subresource Integrity value (sha384)."""
    content = script.read_bytes()
    return hashlib.sha256(content).hexdigest()[:VERSION_LENGTH], "sha384-" + base64.b64encode(
        hashlib.sha384(content).digest()
    ).decode()


def _versioned(script: Path, version: str) -> Response:
    if version != snippet_version(script)[0]:
        abort(404)
    return _send(script, VERSIONED_MAX_AGE_SECONDS, immutable=True)


@blp.route("/consent.<string(length=16):version>.js")
@blp.doc(responses=_VERSIONED_DOC)
def consent_js_versioned(version: str) -> Response:
    """The same script under its content hash: cached for a year, pinned by sites with its integrity hash."""
    return _versioned(SCRIPT, version)


@blp.route("/consent-frameworks.<string(length=16):version>.js")
@blp.doc(responses=_VERSIONED_DOC)
def consent_frameworks_js_versioned(version: str) -> Response:
    """consent-frameworks.js under its content hash, like consent.js's."""
    return _versioned(FRAMEWORKS_SCRIPT, version)


def _integrity(script: Path) -> dict[str, str]:
    version, integrity = snippet_version(script)
    return {
        "url": f"{runtime().settings.token_issuer}/{script.stem}.{version}.js",
        "version": version,
        "integrity": integrity,
    }


@blp.route("/consent.js/integrity")
@blp.response(200, SnippetIntegritySchema)
def snippet_integrity():
    """The versioned script URL and its sha384 integrity value, for `<script src=... integrity=... crossorigin>`."""
    return _integrity(SCRIPT)


@blp.route("/consent-frameworks.js/integrity")
@blp.response(200, SnippetIntegritySchema)
def frameworks_snippet_integrity():
    """consent-frameworks.js's versioned URL and sha384 integrity value."""
    return _integrity(FRAMEWORKS_SCRIPT)


@blp.route("/demo")
@blp.doc(responses={"200": {"description": "Demo page", "content": {"text/html": {"schema": {"type": "string"}}}}})
def demo():
    """A page with a fake analytics script, an inline tag and an embedded video, all blocked until consent."""
    if not runtime().settings.demo_page:
        abort(404)
    key = request.args.get("property")
    prop = (
        properties.get_by_key(session=db.session(), publishable_key=key)
        if key
        else properties.newest_named(session=db.session(), name=DEMO_PROPERTY_NAME)
    )
    if prop is None:
        abort(404, description="No demo property yet: run `flask demo seed` (make run does).")
    return render_template(
        "demo/page.html",
        publishable_key=prop.publishable_key,
        lang=request.args.get("lang"),
        script=script_for(prop.frameworks),
        frameworks=" ".join(prop.frameworks),
    )


@blp.route("/demo/analytics.js")
@blp.doc(
    responses={
        "200": {
            "description": "A fake analytics script",
            "content": {"application/javascript": {"schema": {"type": "string"}}},
        }
    }
)
def demo_analytics():
    """Marks the page when it runs, so the blocking can be seen (and tested)."""
    if not runtime().settings.demo_page:
        abort(404)
    return render_template("demo/analytics.js"), 200, {"Content-Type": "application/javascript"}


@blp.route("/demo/embed")
@blp.doc(
    responses={
        "200": {"description": "A fake embedded video", "content": {"text/html": {"schema": {"type": "string"}}}}
    }
)
def demo_embed():
    """Stands in for a third-party video player."""
    if not runtime().settings.demo_page:
        abort(404)
    return render_template("demo/embed.html")


@blp.route("/.well-known/gpc.json")
@blp.doc(
    responses={
        "200": {
            "description": "Global Privacy Control support",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
def gpc_support():
    """This service honours Global Privacy Control (the GPC specification's well-known resource)."""
    return {"gpc": True, "lastUpdate": runtime().rules.version}
