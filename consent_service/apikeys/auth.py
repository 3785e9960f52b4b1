"""Bearer-key authentication for views: one decorator that checks and documents a scope."""
from __future__ import annotations

import functools
from typing import Callable

from flask import g, request
from flask_smorest import Blueprint

from consent_service.apikeys import service
from consent_service.errors import ErrorSchema, Forbidden, KeyInQueryString, Unauthorized
from consent_service.extensions import db
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
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


def require_scope(blp: Blueprint, scope: Scope, *, confirms_generation: bool = False) -> Callable:
    """Only a key holding `scope` reaches the view: 401 without a valid key, 403 without the scope.

    Keys come from the process's snapshot (generations/service.py). Before the view, one small
    read confirms it is current; a hot view instead has its service read the generation with its
    own data (`confirms_generation=True`), and a stale snapshot there means: roll back, reload,
    authenticate again and redo. Either way a key revoked anywhere is refused on the next request."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            failures = auth_failures()
            failures.refuse_if_exceeded()

            def attempt(snapshot: Snapshot):
                if not confirms_generation:
                    snapshot.confirm(generations.current_generation(session=db.session))
                g.snapshot = snapshot
                g.principal = _authenticate(snapshot, failures)
                if scope.value not in g.principal.scopes:
                    raise Forbidden(f"This key lacks the {scope.value!r} scope.")
                return view(*args, **kwargs)

            return runtime().snapshots.run(session=db.session, work=attempt)

        documented = blp.doc(security=[{SECURITY_SCHEME: [scope.value]}])(wrapper)
        documented = blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid key")(documented)
        documented = blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")(documented)
        return blp.alt_response(403, schema=ErrorSchema, description=f"Key lacks the {scope.value} scope")(documented)

    return decorator


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
            snapshot.confirm(generations.current_generation(session=db.session))
            raise
    except Unauthorized:
        failures.record()
        raise


def refuse_keys_in_query() -> None:
    """Any query value that looks like a secret key is refused, whatever the parameter is called."""
    if any(value.startswith(service.KEY_PREFIX) for value in request.args.values()):
        raise KeyInQueryString()
