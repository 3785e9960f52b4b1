"""The built framework files (js-snippet's build writes them and manifest.json beside them): which file, with
which integrity hash, holds each framework's code."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "manifest.json"
DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "static" / "frameworks"
# <name>.<first 10 hex of its sha256>.js: nothing the manifest says can name a file outside its directory.
FILE_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}\.[0-9a-f]{10}\.js")
INTEGRITY = re.compile(r"sha384-[A-Za-z0-9+/]{64}")


class ManifestInvalid(RuntimeError):
    """The build wrote a manifest this service cannot trust; the message names the entry."""


@dataclass(frozen=True)
class FrameworkFile:
    file: str
    integrity: str


@dataclass(frozen=True)
class Manifest:
    directory: Path
    files: Mapping[str, FrameworkFile] = field(default_factory=dict)

    def path_of(self, file_name: str) -> Path | None:
        """The path of a file the manifest lists, None for any other name."""
        listed = any(entry.file == file_name for entry in self.files.values())
        return self.directory / file_name if listed else None


def read_manifest(directory: Path | str = DEFAULT_DIRECTORY) -> Manifest:
    """The manifest in `directory`; none there (a checkout whose frameworks are not built) lists no file."""
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Manifest(directory=directory)
    except ValueError as error:
        raise ManifestInvalid(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ManifestInvalid(f"{path} must be an object of frameworks")
    files: dict[str, FrameworkFile] = {}
    for name, entry in document.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("file"), str)
            and FILE_NAME.fullmatch(entry["file"])
            and isinstance(entry.get("integrity"), str)
            and INTEGRITY.fullmatch(entry["integrity"])
        ):
            raise ManifestInvalid(f"{path}: {name!r} needs a file <name>.<10 hex>.js and a sha384- integrity")
        files[name] = FrameworkFile(file=entry["file"], integrity=entry["integrity"])
    return Manifest(directory=directory, files=files)
