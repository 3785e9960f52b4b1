"""Frameworks fixtures: `flask tcf gvl update` run as an operator runs it, and a built-files directory."""
from __future__ import annotations

import json

import pytest

from tests.frameworks.gvl_files import GVL_42, TRANSLATIONS, built


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
