"""Swagger UI's files, served by the service itself so /docs needs no CDN."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

blp = Blueprint("docs_assets", __name__, static_folder=str(ASSETS), static_url_path="/docs/assets")
