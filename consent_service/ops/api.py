"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consent_service.errors import Unavailable
from consent_service.extensions import db
from consent_service.openapi import ErrorSchema
from consent_service.runtime import runtime
from consent_service.stores.replicas import ReplicaSet, Skip
from consent_service.strict_json import Blueprint

blp = Blueprint("ops", __name__, description="Operations: health and readiness.")


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)


class ReplicaStandingSchema(ma.Schema):
    replica = ma.fields.Integer(
        required=True, metadata={"description": "The replica's place in DATABASE_REPLICA_URLS, from 1."}
    )
    reads = ma.fields.Boolean(
        required=True, metadata={"description": "It answers reads; false: the primary answers them instead."}
    )
    skipped = ma.fields.String(
        # A replica's standing; `behind` is said of one read (read your writes), never of a replica.
        validate=ma.validate.OneOf([skip.value for skip in Skip if skip is not Skip.BEHIND]),
        metadata={
            "description": "Why it is skipped (only when reads is false): down (unreachable, or not measured yet), "
            "not_standby (promoted), lagging (behind by more than REPLICA_MAX_LAG_MS)."
        },
    )


class ReadinessSchema(StatusSchema):
    replicas = ma.fields.List(
        ma.fields.Nested(ReplicaStandingSchema),
        metadata={
            "description": "Only with DATABASE_REPLICA_URLS: each read replica's standing as this process last "
            "measured it. A skipped replica does not make the service unready: the primary answers its reads."
        },
    )


@blp.route("/healthz")
@blp.response(200, StatusSchema)
def healthz():
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ErrorSchema, description="The database is unreachable")
def readyz():
    """The primary database answers; with read replicas, which of them answer reads."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        raise Unavailable() from None
    replicas = runtime().replicas
    if replicas is None:
        return {"status": "ready"}
    return {"status": "ready", "replicas": _standings(replicas)}


def _standings(replicas: ReplicaSet) -> list[dict[str, Any]]:
    """Each replica by its place alone: the probe is unauthenticated, and a replica's URL may hold credentials."""
    standings: list[dict[str, Any]] = []
    for place, replica in enumerate(replicas.replicas, start=1):
        # Read once: another thread may measure it meanwhile.
        skip = replica.skip
        standing: dict[str, Any] = {"replica": place, "reads": skip is None}
        if skip is not None:
            standing["skipped"] = skip.value
        standings.append(standing)
    return standings
