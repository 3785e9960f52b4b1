"""Bearer-key authentication for views: one decorator that checks and documents a scope."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from consent_service.apikeys import service
from consent_service.errors import Forbidden, KeyInQueryString, ServiceError, Unauthorized
from consent_service.extensions import db
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.openapi import ErrorSchema
from consent_service.ratelimits import AuthFailures, auth_failures
from consent_service.runtime import runtime
from consent_service.vocabulary import Scope

SECURITY_SCHEME = "secretKey"


def current_principal() -> service.Principal:
    return g.principal


def current_snapshot() -> Snapshot:
    """This request's snapshot of keys, purposes and notices; a view that passes it to a service
    declared `confirms_generation=True`, and the service confirms it with its own read."""
    return g.snapshot


def require_scope(
    blp: Blueprint, scope: Scope, *, confirms_generation: bool = False, read_only: bool = False
) -> Callable:
    """Only a key holding `scope` reaches the view: 401 without a valid key (429 once its address has
    failed too often; a valid key is never limited), 403 without the scope.

    Keys come from the process's snapshot (generations/service.py). Before the view, one small
    read confirms it is current; a hot view instead has its service read the generation with its
    own data (`confirms_generation=True`), and a stale snapshot there means: roll back, reload,
    authenticate again and redo. Either way a key revoked anywhere is refused on the next request.
    A hot view that answers before its service read (a 4xx for the body, a 403 for the scope) has
    the snapshot confirmed by one small read first, so a revoked key gets its 401, never a 422;
    an idempotent replay confirms it with the read of the stored answer (consents/idempotency.py).

    `read_only` views write nothing: their statements run outside a transaction (autocommit), which
    spares the BEGIN and ROLLBACK round trips around them; each statement still sees committed data
    as of its start, as it does in a READ COMMITTED transaction."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            failures = auth_failures()
            # Only at the start of the session's work: a transaction already open stays one.
            autocommit = read_only and not db.session().in_transaction()
            if autocommit:
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

            def attempt(snapshot: Snapshot) -> Any:
                if not confirms_generation:
                    snapshot.confirm(generations.current_generation(session=db.session()))
                g.snapshot = snapshot
                g.principal = _authenticate(snapshot, failures)
                try:
                    if scope.value not in g.principal.scopes:
                        raise Forbidden(f"This key lacks the {scope.value!r} scope.")
                    return view(*args, **kwargs)
                except (ServiceError, HTTPException) as refusal:
                    if confirms_generation and _client_error(refusal):
                        _confirm_before_refusing(snapshot)
                    raise

            try:
                return runtime().snapshots.run(session=db.session(), work=attempt)
            finally:
                if autocommit:
                    db.session.rollback()  # the connection goes back to the pool as it came

        documented = blp.doc(security=[{SECURITY_SCHEME: [scope.value]}])(wrapper)
        documented = blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid key")(documented)
        documented = blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")(
            documented
        )
        return blp.alt_response(403, schema=ErrorSchema, description=f"Key lacks the {scope.value} scope")(documented)

    return decorator


def _client_error(error: ServiceError | HTTPException) -> bool:
    status = error.status if isinstance(error, ServiceError) else error.code
    return status is not None and 400 <= status < 500


def _confirm_before_refusing(snapshot: Snapshot) -> None:
    """On a refusal's path only: raise StaleSnapshot (the request is redone on a fresh snapshot, which
    authenticates again) if the generation moved. The request's work is rolled back first: it is
    refused anyway, and a failed transaction could not run the read."""
    if snapshot.final:
        return
    db.session.rollback()
    snapshot.confirm(generations.current_generation(session=db.session()))


def _authenticate(snapshot: Snapshot, failures: AuthFailures) -> service.Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthorized()
        try:
            return snapshot.authenticate(presented.strip())
        except Unauthorized:
            # A key created since the snapshot was taken is not refused on the snapshot's word.
            snapshot.confirm(generations.current_generation(session=db.session()))
            raise
    except Unauthorized:
        failures.record()  # RateLimited instead once this address has failed too often
        raise


def refuse_keys_in_query() -> None:
    """Any query value that looks like a secret key is refused, whatever the parameter is called."""
    if any(value.startswith(service.KEY_PREFIX) for value in request.args.values()):
        raise KeyInQueryString()
