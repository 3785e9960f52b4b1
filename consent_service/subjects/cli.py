"""`flask subjects non-canonical`: the subjects stored in a spelling incoming identifiers no longer take."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("subjects")
def subjects_group() -> None:
    """Subjects: whose consent."""


@subjects_group.command("non-canonical")
@with_appcontext
def non_canonical() -> None:
    """List, by internal id only, stored subjects whose identifier is not canonical; change nothing.

    Incoming identifiers are made canonical (width forms, NFC, an email's domain lowercased); a subject
    stored before in another spelling keeps its evidence but is reached by no request. Re-record its
    current decisions under the canonical identifier, or erase it, as your records say."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.subjects import service as subjects

    found = subjects.non_canonical(session=db.session())
    for entry in found:
        note = " (the canonical spelling is another subject)" if entry.collides else ""
        click.echo(f"subject {entry.subject_id} ({entry.kind}){note}")
    click.echo(f"{len(found)} subject(s) stored in a non-canonical spelling")
    if found:
        click.get_current_context().exit(1)
