"""The verifier's two distributions: one version, and nothing but their crypto library as a dependency.

Installing them for real (a clean virtualenv, `npm pack`) is tests/e2e/test_verifier_packages.py.
"""
from __future__ import annotations

import json
import re
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


def test_the_guide_imports_only_what_the_packages_export():
    guide = (ROOT / "docs" / "verifying-tokens.md").read_text()
    python_names = {name.strip() for line in re.findall(r"^from consent_verifier import (.+)$", guide, re.MULTILINE)
                    for name in line.split(",")}
    assert python_names and python_names <= set(consent_verifier.__all__)
    node_imports = re.findall(r'^import \{ (.+) \} from "consent-verifier";$', guide, re.MULTILINE)
    declared = (ROOT / "examples" / "node-verify" / "verify.d.ts").read_text()
    exported = set(re.findall(r"^export declare (?:const|class|function) (\w+)", declared, re.MULTILINE))
    node_names = {name.strip() for line in node_imports for name in line.split(",")}
    assert node_names and node_names <= exported
