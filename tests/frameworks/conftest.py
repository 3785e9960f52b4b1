"""Frameworks fixtures: `flask tcf gvl update` run as an operator runs it, and a built-files directory."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from tests.frameworks.gvl_files import GVL_42, TRANSLATIONS


@pytest.fixture
def gvl_update(app):
    """gvl_update(source, de=..., fr=...) -> the CLI's result (exit_code, output, stderr)."""

    def run(source, **translations):
        args = ["tcf", "gvl", "update", "--from", str(source)]
        for language, where in translations.items():
            args += ["--translation", f"{language}={where}"]
        return app.test_cli_runner().invoke(args=args)

    return run


@pytest.fixture
def stored_gvl(gvl_update):
    """Vendor list 42 stored, with its German and French texts."""
    result = gvl_update(GVL_42, **TRANSLATIONS)
    assert result.exit_code == 0, result.output
    return 42


def built(directory: Path, name: str, code: bytes) -> dict[str, object]:
    """One framework file as js-snippet's build writes it, and its manifest entry."""
    file = f"{name}.{hashlib.sha256(code).hexdigest()[:10]}.js"
    (directory / file).write_bytes(code)
    return {"file": file, "integrity": "sha384-" + base64.b64encode(hashlib.sha384(code).digest()).decode(),
            "bytes": len(code), "gzip_bytes": len(code)}


@pytest.fixture
def framework_files(app, tmp_path):
    """A built-files directory with gpp and tcf files and their manifest, which the app serves."""
    directory = tmp_path / "frameworks"
    directory.mkdir()
    manifest = {
        "gpp": built(directory, "gpp", b"window.ConsentService.attach('gpp', function () {});\n"),
        "tcf": built(directory, "tcf", b"window.ConsentService.attach('tcf', function () {});\n"),
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    app.config["FRAMEWORKS_DIRECTORY"] = directory
    return manifest
