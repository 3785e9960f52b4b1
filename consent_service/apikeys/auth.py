"""Bearer-key authentication for views: one decorator that checks and documents a scope."""
from __future__ import annotations

import functools
from typing import Callable

from flask import g, request
from flask_smorest import Blueprint

from consent_service.apikeys import service
from consent_service.errors import ErrorSchema, Forbidden, KeyInQueryString, Unauthorized
from consent_service.ratelimits import auth_failures
from consent_service.extensions import db
from consent_service.vocabulary import Scope

SECURITY_SCHEME = "secretKey"


def current_principal() -> service.Principal:
    return g.principal


def require_scope(blp: Blueprint, scope: Scope) -> Callable:
    """Only a key holding `scope` reaches the view: 401 without a valid key, 403 without the scope."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.principal = _authenticate()
            if scope.value not in g.principal.scopes:
                raise Forbidden(f"This key lacks the {scope.value!r} scope.")
            return view(*args, **kwargs)

        documented = blp.doc(security=[{SECURITY_SCHEME: [scope.value]}])(wrapper)
        documented = blp.alt_response(401, schema=ErrorSchema, description="Missing or invalid key")(documented)
        documented = blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")(documented)
        return blp.alt_response(403, schema=ErrorSchema, description=f"Key lacks the {scope.value} scope")(documented)

    return decorator


def _authenticate() -> service.Principal:
    failures = auth_failures()
    failures.refuse_if_exceeded()
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthorized()
        return service.authenticate(session=db.session, presented=presented.strip())
    except Unauthorized:
        failures.record()
        raise


def refuse_keys_in_query() -> None:
    """Any query value that looks like a secret key is refused, whatever the parameter is called."""
    if any(value.startswith(service.KEY_PREFIX) for value in request.args.values()):
        raise KeyInQueryString()
