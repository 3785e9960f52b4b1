"""Liveness and readiness probes."""

from __future__ import annotations

import marshmallow as ma
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consent_service.errors import Unavailable
from consent_service.extensions import db
from consent_service.openapi import ErrorSchema
from consent_service.strict_json import Blueprint

blp = Blueprint("ops", __name__, description="Operations: health and readiness.")


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)


@blp.route("/healthz")
@blp.response(200, StatusSchema)
def healthz():
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, StatusSchema)
@blp.alt_response(503, schema=ErrorSchema, description="The database is unreachable")
def readyz():
    """The database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        raise Unavailable() from None
    return {"status": "ready"}
