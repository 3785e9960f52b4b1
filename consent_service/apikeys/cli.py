"""`flask keys create|list|revoke`: manage secret API keys."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.errors import reports_service_errors
from consent_service.listing import echo_rows, json_option
from consent_service.vocabulary import Scope

SCOPES = click.Choice([scope.value for scope in Scope])


@click.group("keys")
def keys() -> None:
    """Secret API keys for servers."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option("--scope", "scopes", multiple=True, required=True, type=SCOPES, help="Repeat for several scopes.")
@with_appcontext
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key; it is shown once and stored only as a hash."""
    # Imported here, not with the module: `--help` and every other command load this file without them.
    from consent_service.apikeys import service
    from consent_service.extensions import db

    key, plain = service.create_key(session=db.session(), name=name, scopes=list(scopes), now=now())
    db.session.commit()
    click.echo(plain)
    click.echo(
        f"created {key.prefix} ({name}) with scopes {' '.join(key.scopes)}; store it now, it is not shown again",
        err=True,
    )


@keys.command("list")
@json_option
@with_appcontext
def list_(as_json: bool) -> None:
    """List keys (prefix, name, scopes, created, revoked), oldest first; never the secret."""
    from consent_service.apikeys import service  # as in `create`
    from consent_service.extensions import db

    rows = [
        {
            "prefix": key.prefix,
            "name": key.name,
            "scopes": list(key.scopes),
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        }
        for key in service.list_keys(session=db.session())
    ]
    echo_rows(("prefix", "name", "scopes", "created_at", "revoked_at"), rows, as_json=as_json)


@keys.command("revoke")
@click.argument("prefix")
@with_appcontext
@reports_service_errors
def revoke(prefix: str) -> None:
    """Revoke a key by its prefix (sk_xxxxxxxx); it stops working on the next request."""
    from consent_service.apikeys import service  # as in `create`
    from consent_service.extensions import db

    key = service.revoke_key(session=db.session(), prefix=prefix, now=now())
    db.session.commit()
    click.echo(f"revoked {key.prefix} ({key.name})")
