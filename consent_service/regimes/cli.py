"""`flask rules docs`: write the rules reference (docs/rules-reference.md) from the rules file in use."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from consent_service.regimes.reference import render, unsourced

DEFAULT_OUT = Path("docs") / "rules-reference.md"


@click.group("rules")
def rules_group() -> None:
    """The jurisdiction rules file."""


@rules_group.command("docs")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=str(DEFAULT_OUT),
    show_default=True,
    help="Where to write the Markdown; - for standard output.",
)
@with_appcontext
def docs(out: str) -> None:
    """Render every rule of the rules file in use (RULES_FILE, else the shipped one) with its source.

    The app has validated that file at start, so what is rendered is what the service applies."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.regimes.service import DEFAULT_RULES_PATH
    from consent_service.runtime import runtime

    path = Path(runtime().settings.rules_file or DEFAULT_RULES_PATH)
    document = json.loads(path.read_text(encoding="utf-8"))
    markdown = render(document, rules_name=reference_name(path))
    if out == "-":
        click.echo(markdown, nl=False)
    else:
        Path(out).write_text(markdown, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    for rule in unsourced(document):
        click.echo(f"warning: {rule} cites no source", err=True)


def reference_name(path: Path) -> str:
    """How the page names its rules file: the shipped one by its place in the repository."""
    from consent_service.regimes.service import DEFAULT_RULES_PATH  # as in `docs`

    if path.resolve() == DEFAULT_RULES_PATH.resolve():
        return "consent_service/regimes/rules.json"
    return str(path)
