"""`flask tcf gvl update --from URL_OR_FILE [--translation LANG=URL_OR_FILE ...]`: keep a newer Global Vendor List."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from consent_service.clock import now
from consent_service.errors import reports_service_errors

FETCH_TIMEOUT_SECONDS = 30
# The IAB's whole list with its vendors' declarations is a few megabytes; far more is not a vendor list.
MAX_BYTES = 32 * 1024 * 1024


class SourceUnreadable(click.ClickException):
    """A list or translation that could not be read: the message names the source and why."""


@click.group("tcf")
def tcf_group() -> None:
    """IAB TCF v2.3: the Global Vendor List the banner discloses."""


@tcf_group.group("gvl")
def gvl_group() -> None:
    """The Global Vendor List (GVL v3) kept by the service."""


@gvl_group.command("update")
@click.option("--from", "source", required=True, help="The vendor-list.json: an http(s) URL or a file.")
@click.option(
    "--translation",
    "translations",
    multiple=True,
    metavar="LANG=URL_OR_FILE",
    help="A translation of its texts (the IAB's purposes-de.json, purposes-fr.json); repeat per language.",
)
@with_appcontext
@reports_service_errors
def update(source: str, translations: tuple[str, ...]) -> None:
    """Store a Global Vendor List newer than the current one; a malformed or older list is refused and the current
    one kept. Translations are given with each list (none carries over): a language without one is shown in
    English."""
    # Imported here, not with the module: every `flask` command (and `--help`) loads this file, few run this one.
    from consent_service.extensions import db
    from consent_service.frameworks import gvl
    from consent_service.frameworks import service as vendor_lists

    vendor_list = gvl.parse_vendor_list(_read_json(source))
    texts: dict[str, dict[str, Any]] = {}
    for option in translations:
        language, _, where = option.partition("=")
        language = language.strip().lower()
        if not where or language not in vendor_lists.TRANSLATION_LANGUAGES:
            raise click.BadParameter(
                f"LANG=URL_OR_FILE with LANG one of {', '.join(vendor_lists.TRANSLATION_LANGUAGES)}, got {option!r}",
                param_hint="--translation",
            )
        if language in texts:
            raise click.BadParameter(f"{language} is given twice", param_hint="--translation")
        texts[language] = gvl.parse_translation(_read_json(where), vendor_list=vendor_list, language=language)
    session = db.session()
    row = vendor_lists.store_vendor_list(session=session, vendor_list=vendor_list, translations=texts, now=now())
    session.commit()
    offered = len(gvl.offered_vendors(row.content))
    languages = ", ".join(["en", *sorted(texts)])
    click.echo(
        f"stored Global Vendor List {row.vendor_list_version} (TCF policy {row.tcf_policy_version}, "
        f"{offered} vendors; {languages})"
    )


def _read_json(source: str) -> object:
    raw = _read(source)
    try:
        return json.loads(raw)
    except ValueError as error:
        raise SourceUnreadable(f"{source} is not JSON: {error}") from None


def _read(source: str) -> bytes:
    """The bytes at an http(s) URL or in a file, at most MAX_BYTES."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
                data: bytes = response.read(MAX_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SourceUnreadable(f"cannot fetch {source}: {getattr(error, 'reason', error)}") from None
    else:
        try:
            with Path(source).open("rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise SourceUnreadable(f"cannot read {source}: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise SourceUnreadable(f"{source} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not a vendor list")
    return data
