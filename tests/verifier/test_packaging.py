"""The verifier's two distributions: one version, and nothing but their crypto library as a dependency.

Installing them for real (a clean virtualenv, `npm pack`) is tests/e2e/test_verifier_packages.py.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import consent_verifier

ROOT = Path(__file__).resolve().parents[2]
PYTHON_PROJECT = tomllib.loads((ROOT / "consent_verifier" / "pyproject.toml").read_text())["project"]
NODE_PACKAGE = json.loads((ROOT / "examples" / "node-verify" / "package.json").read_text())


def test_the_python_distribution_depends_on_cryptography_only():
    assert PYTHON_PROJECT["name"] == "consent-verifier"
    assert [requirement.split(">")[0] for requirement in PYTHON_PROJECT["dependencies"]] == ["cryptography"]


def test_the_node_package_depends_on_jose_only_and_ships_its_types():
    assert NODE_PACKAGE["name"] == "consent-verifier"
    assert list(NODE_PACKAGE["dependencies"]) == ["jose"]
    assert "private" not in NODE_PACKAGE
    exported = NODE_PACKAGE["exports"]["."]
    assert set(NODE_PACKAGE["files"]) == {exported["types"].removeprefix("./"), exported["default"].removeprefix("./")}


def test_both_packages_carry_the_same_version():
    assert NODE_PACKAGE["version"] == consent_verifier.__version__
    assert PYTHON_PROJECT["dynamic"] == ["version"]  # read from consent_verifier.__version__
