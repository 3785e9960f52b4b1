"""`flask demo seed`: what `make run` needs to show the service on a fresh database."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.apikeys import service as apikeys
from consent_service.clock import now
from consent_service.extensions import db
from consent_service.vocabulary import Scope

DEMO_KEY_NAME = "demo"


@click.group("demo")
def demo() -> None:
    """Demo data for a local run."""


@demo.command("seed")
@with_appcontext
def seed() -> None:
    """Create a demo secret key with every scope and print it; earlier demo keys are revoked."""
    for earlier in apikeys.list_keys(session=db.session):
        if earlier.name == DEMO_KEY_NAME and earlier.revoked_at is None:
            apikeys.revoke_key(session=db.session, prefix=earlier.prefix, now=now())
    key, plain = apikeys.create_key(
        session=db.session, name=DEMO_KEY_NAME, scopes=[scope.value for scope in Scope], now=now()
    )
    db.session.commit()
    click.echo(f"Demo secret key ({key.prefix}, every scope; shown once):\n\n    {plain}\n")
