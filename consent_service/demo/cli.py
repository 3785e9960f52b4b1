"""`flask demo seed`: what `make run` needs to show the service on a fresh database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.demo.key_file import DemoKeyFile
from consent_service.errors import Unauthorized
from consent_service.vocabulary import Scope

DEMO_KEY_NAME = "demo"
EVERY_SCOPE = frozenset(scope.value for scope in Scope)


@click.group("demo")
def demo() -> None:
    """Demo data for a local run."""


@demo.command("seed")
@click.option("--new-key", is_flag=True, help="Revoke the demo key and make a new one (shown once).")
@with_appcontext
def seed(new_key: bool) -> None:
    """A demo property (once) and the demo secret key with every scope, kept across runs outside production."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.apikeys import service as apikeys
    from consent_service.banner.site import DEMO_PROPERTY_NAME
    from consent_service.extensions import db
    from consent_service.properties import service as properties
    from consent_service.runtime import runtime

    settings = runtime().settings
    prop = properties.newest_named(session=db.session(), name=DEMO_PROPERTY_NAME)
    if prop is None:
        origin = settings.token_issuer
        prop = properties.create_property(
            session=db.session(),
            name=DEMO_PROPERTY_NAME,
            allowed_origins=sorted({origin, origin.replace("127.0.0.1", "localhost")}),
            notice_version="2026-01-01",
            notice_url=f"{origin}/demo#privacy-notice",
            now=now(),
        )
    # Production never keeps a secret in a file: there every seed makes a new key, as before.
    key_file = None if settings.env == "production" else DemoKeyFile.in_instance(settings.instance_path)
    kept = None if new_key or key_file is None else _still_valid(key_file.read())
    if kept is not None and key_file is not None:
        db.session.commit()
        click.echo(f"Demo property: {prop.publishable_key} (demo page: {settings.token_issuer}/demo)")
        click.echo(
            f"Demo secret key ({kept[0]}, every scope; the same as before, read back from {key_file.path};"
            f" `flask demo seed --new-key` replaces it):\n\n    {kept[1]}\n"
        )
        return
    revoked = _revoke_demo_keys()
    key, plain = apikeys.create_key(session=db.session(), name=DEMO_KEY_NAME, scopes=sorted(EVERY_SCOPE), now=now())
    db.session.commit()
    if key_file is not None:
        key_file.write(plain)
    click.echo(f"Demo property: {prop.publishable_key} (demo page: {settings.token_issuer}/demo)")
    if revoked:
        click.echo(
            f"Revoked the earlier demo key{'s' if len(revoked) > 1 else ''} {', '.join(revoked)}:"
            " requests and console sessions with it are refused from now on."
        )
    kept_where = f"; kept in {key_file.path} for the next run" if key_file is not None else "; shown once"
    click.echo(f"New demo secret key ({key.prefix}, every scope{kept_where}):\n\n    {plain}\n")


def _still_valid(plain: str | None) -> tuple[str, str] | None:
    """(prefix, key) if the stored key is still an active demo key with every scope here, else None."""
    from consent_service.apikeys import service as apikeys  # as in `seed`
    from consent_service.extensions import db

    if plain is None:
        return None
    try:
        principal = apikeys.authenticate(session=db.session(), presented=plain)
    except Unauthorized:  # another database, revoked, or the file was edited
        return None
    if principal.name != DEMO_KEY_NAME or principal.scopes != EVERY_SCOPE:
        return None
    return principal.prefix, plain


def _revoke_demo_keys() -> list[str]:
    """Revoke every active demo key; their prefixes."""
    from consent_service.apikeys import service as apikeys  # as in `seed`
    from consent_service.extensions import db

    revoked = []
    for earlier in apikeys.list_keys(session=db.session()):
        if earlier.name == DEMO_KEY_NAME and earlier.revoked_at is None:
            apikeys.revoke_key(session=db.session(), prefix=earlier.prefix, now=now())
            revoked.append(earlier.prefix)
    return revoked
