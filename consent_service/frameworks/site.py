"""The built framework files at /frameworks/<file>: immutable, loadable by any site (with their integrity hash)."""

from __future__ import annotations

from flask import Response, current_app

from consent_service.compression import send_precompressed
from consent_service.errors import NotFound
from consent_service.frameworks.manifest import read_manifest
from consent_service.strict_json import Blueprint

blp = Blueprint("framework_files", __name__, description="The framework files the banner loads (GPP, TCF).")

MAX_AGE_SECONDS = 365 * 86400


class UnknownFrameworkFile(NotFound):
    message = "No such framework file: the banner config names the current ones."


@blp.route("/frameworks/<string(maxlength=64):file_name>")
@blp.doc(
    responses={
        "200": {
            "description": "A framework file (IIFE), named by its content hash: cached for a year",
            "content": {"application/javascript": {"schema": {"type": "string"}}},
        },
        "404": {
            "description": "Not a file of the current build",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }
)
def framework_file(file_name: str) -> Response:
    """A file the manifest lists; the banner loads it with `integrity` and `crossorigin=anonymous`, from any
    site, hence `Access-Control-Allow-Origin: *` (the file holds no secret)."""
    path = read_manifest(current_app.config["FRAMEWORKS_DIRECTORY"]).path_of(file_name)
    if path is None or not path.is_file():
        raise UnknownFrameworkFile()
    response = send_precompressed(path, mimetype="application/javascript", max_age=MAX_AGE_SECONDS, immutable=True)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
