"""`flask signing-keys rotate|list`: the Ed25519 keys that sign tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.listing import echo_rows, json_option


@click.group("signing-keys")
def signing_keys() -> None:
    """Token signing keys."""


@signing_keys.command("rotate")
@with_appcontext
def rotate() -> None:
    """Sign with a new key from now on; old public keys stay published until their tokens expire."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.runtime import runtime

    key = runtime().keystore.rotate(session=db.session(), now=now())
    db.session.commit()
    click.echo(f"new signing key {key.kid}")


@signing_keys.command("list")
@json_option
@with_appcontext
def list_(as_json: bool) -> None:
    """Published keys (kid, created, retired: none for the key signing now), newest first."""
    from consent_service.extensions import db  # as in `rotate`
    from consent_service.runtime import runtime

    rows = [
        {
            "kid": key.kid,
            "created_at": key.created_at.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
        }
        for key in runtime().keystore.published(session=db.session(), now=now())
    ]
    echo_rows(("kid", "created_at", "retired_at"), rows, as_json=as_json)
