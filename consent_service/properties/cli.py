"""`flask properties create|list`: websites and apps that show the banner."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.errors import reports_service_errors
from consent_service.listing import echo_rows, json_option


@click.group("properties")
def properties_group() -> None:
    """Properties (websites and apps)."""


@properties_group.command("create")
@click.option("--name", required=True)
@click.option("--origin", "origins", multiple=True, required=True, help="An allowed origin; repeat for several.")
@click.option("--notice-version", required=True, help="The version of the notice the banner links to.")
@click.option("--notice-url", required=True)
@click.option("--language", default="en", show_default=True, help="Default language of the banner.")
@click.option("--purpose", "purposes", multiple=True, help="A purpose shown in the banner; repeat. Default: cookies.")
@click.option("--cookie-domain", default=None, help="e.g. .shop.example so one choice covers every subdomain.")
@with_appcontext
@reports_service_errors
def create(
    name: str,
    origins: tuple[str, ...],
    notice_version: str,
    notice_url: str,
    language: str,
    purposes: tuple[str, ...],
    cookie_domain: str | None,
) -> None:
    """Create a property and print its publishable key."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.properties import service as properties

    prop = properties.create_property(
        session=db.session(),
        name=name,
        allowed_origins=list(origins),
        notice_version=notice_version,
        notice_url=notice_url,
        default_language=language,
        purposes=list(purposes) or None,
        cookie_domain=cookie_domain,
        now=now(),
    )
    db.session.commit()
    click.echo(prop.publishable_key)
    click.echo(f"created {prop.id} ({name}) for {' '.join(prop.allowed_origins)}", err=True)


@properties_group.command("list")
@json_option
@with_appcontext
def list_(as_json: bool) -> None:
    """List properties (id, publishable key, name, allowed origins, notice version), oldest first."""
    from consent_service.extensions import db  # as in `create`
    from consent_service.properties import service as properties

    rows = [
        {
            "id": prop.id,
            "publishable_key": prop.publishable_key,
            "name": prop.name,
            "allowed_origins": list(prop.allowed_origins),
            "notice_version": prop.notice_version,
        }
        for prop in properties.list_properties(session=db.session())
    ]
    echo_rows(("id", "publishable_key", "name", "allowed_origins", "notice_version"), rows, as_json=as_json)
