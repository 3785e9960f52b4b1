"""`flask demo seed`: what `make run` needs to show the service on a fresh database."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.apikeys import service as apikeys
from consent_service.banner.site import DEMO_PROPERTY_NAME
from consent_service.properties import service as properties
from consent_service.runtime import runtime
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
    """A demo property (once) and a fresh demo secret key with every scope; earlier demo keys are revoked."""
    prop = properties.newest_named(session=db.session, name=DEMO_PROPERTY_NAME)
    if prop is None:
        origin = runtime().settings.token_issuer
        prop = properties.create_property(
            session=db.session,
            name=DEMO_PROPERTY_NAME,
            allowed_origins=sorted({origin, origin.replace("127.0.0.1", "localhost")}),
            notice_version="2026-01-01",
            notice_url=f"{origin}/demo#privacy-notice",
            now=now(),
        )
    for earlier in apikeys.list_keys(session=db.session):
        if earlier.name == DEMO_KEY_NAME and earlier.revoked_at is None:
            apikeys.revoke_key(session=db.session, prefix=earlier.prefix, now=now())
    key, plain = apikeys.create_key(
        session=db.session, name=DEMO_KEY_NAME, scopes=[scope.value for scope in Scope], now=now()
    )
    db.session.commit()
    click.echo(f"Demo property: {prop.publishable_key} (demo page: {runtime().settings.token_issuer}/demo)")
    click.echo(f"Demo secret key ({key.prefix}, every scope; shown once):\n\n    {plain}\n")
