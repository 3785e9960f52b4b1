"""The verifier packages as another service gets them (issue 22, acceptance 3).

Python: `pip install ./consent_verifier` into a clean virtualenv without the service installs only
`cryptography` (and its own dependencies) besides itself, and verifies a token from a running service.
Node: the `npm pack` tarball of examples/node-verify, installed into an empty project, does the same.

Neither install reaches the network (tests talk to loopback only): pip reads only the local package
sources the machine's pip configuration names (file:// indexes, find-links folders), npm only its cache,
which `make test` fills first (the js-deps step).
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import unavailable
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

SUBJECT = "customer:pkg-1"
# cryptography's own dependencies, which pip may install with it.
CRYPTOGRAPHY_DEPENDENCIES = {"cffi", "pycparser"}
INSTALL_SECONDS = 300

PYTHON_CHECK = """
import json, sys
import consent_verifier
from consent_verifier import ConsentVerifier

issuer, token, subject = sys.argv[1:]
verifier = ConsentVerifier(issuer)
print(json.dumps({
    "module": consent_verifier.__file__,
    "sub": verifier.verify(token, subject=subject)["sub"],
    "recording": verifier.allowed(token, "recording", subject=subject),
    "marketing": verifier.allowed(token, "marketing", subject=subject),
    "someone_else": verifier.allowed(token, "recording", subject="customer:pkg-2"),
}))
"""

NODE_CHECK = """
import { makeVerifier } from "consent-verifier";

const [issuer, token, subject] = process.argv.slice(2);
const consent = makeVerifier({ issuer });
const claims = await consent.verify(token, { subject });
console.log(JSON.stringify({
  sub: claims.sub,
  recording: await consent.allowed(token, "recording", { subject }),
  marketing: await consent.allowed(token, "marketing", { subject }),
  someone_else: await consent.allowed(token, "recording", { subject: "customer:pkg-2" }),
}));
"""

EXPECTED_ANSWERS = {"sub": SUBJECT, "recording": True, "marketing": False, "someone_else": False}


def clean_env() -> dict:
    """This process's environment without what would point a child at the service's virtualenv."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def run(*command: str, cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=INSTALL_SECONDS)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def issue_token(live_server) -> str:
    """A real token from the running service: recording granted for SUBJECT, nothing else."""
    headers = {"Authorization": f"Bearer {live_server.key}"}
    recorded = requests.post(
        f"{live_server.url}/v1/subjects/customer/pkg-1/consent-events",
        json={"events": [{"purpose": "recording", "decision": "granted", "method": "verbal"}],
              "notice_version": "2020-05-01", "country": "DE", "actor": {"type": "agent", "id": "agent-42"}},
        headers=headers | {"Idempotency-Key": "pkg-1"}, timeout=10,
    )
    assert recorded.status_code == 201, recorded.text
    issued = requests.post(f"{live_server.url}/v1/subjects/customer/pkg-1/tokens", headers=headers, timeout=10)
    assert issued.status_code == 201, issued.text
    return issued.json()["token"]


def local_pip_sources() -> list[str]:
    """pip options that read only the local package sources pip is configured with: its file:// indexes
    replace the default index (on the network), its find-links folders stay."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    indexes, links = [], []
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        values = shlex.split(value.strip().strip("'\""))
        if name.endswith((".index-url", ".extra-index-url")):
            indexes += [url for url in values if url.startswith("file://")]
        elif name.endswith(".find-links"):
            links += [link for link in values if "://" not in link or link.startswith("file://")]
    links += [link for link in os.environ.get("PIP_FIND_LINKS", "").split() if "://" not in link]
    if not indexes and not links:
        unavailable("A local package source", "pip's configuration names no file:// index or find-links folder, "
                    "and this test never downloads")
    options = ["--index-url", indexes[0], *[o for url in indexes[1:] for o in ("--extra-index-url", url)]] \
        if indexes else ["--no-index"]
    return options + [o for link in dict.fromkeys(links) for o in ("--find-links", link)]


def installed(python: Path, cwd: Path) -> set[str]:
    listed = json.loads(run(str(python), "-m", "pip", "list", "--format=json", cwd=cwd))
    return {package["name"].lower() for package in listed}


def test_the_python_package_installs_alone_and_verifies_a_live_token(live_server, tmp_path):
    # A copy, so the build leaves nothing in the checkout; every command runs in `elsewhere`, so only the
    # virtualenv's copy can be imported.
    source = tmp_path / "src" / "consent_verifier"
    shutil.copytree(ROOT / "consent_verifier", source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv), cwd=elsewhere)
    python = venv / "bin" / "python"
    before = installed(python, elsewhere)

    run(str(python), "-m", "pip", "install", "--quiet", *local_pip_sources(), str(source), cwd=elsewhere)

    added = installed(python, elsewhere) - before
    assert {"consent-verifier", "cryptography"} <= added
    assert added - {"consent-verifier", "cryptography"} <= CRYPTOGRAPHY_DEPENDENCIES, added
    for absent in ("consent_service", "flask", "jwt", "sqlalchemy", "requests"):
        probe = subprocess.run([str(python), "-c", f"import {absent}"], cwd=elsewhere, env=clean_env(), capture_output=True)
        assert probe.returncode != 0, f"{absent} is importable in the clean virtualenv"

    answers = json.loads(run(str(python), "-c", PYTHON_CHECK, live_server.url, issue_token(live_server), SUBJECT, cwd=elsewhere))

    assert Path(answers.pop("module")).is_relative_to(venv)
    assert answers == EXPECTED_ANSWERS


def test_the_node_package_from_npm_pack_verifies_a_live_token(live_server, tmp_path):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        unavailable("Node", "node and npm are needed (apt-get install nodejs npm)")
    package = ROOT / "examples" / "node-verify"
    tarball = run(npm, "pack", "--silent", "--pack-destination", str(tmp_path), cwd=package).strip().splitlines()[-1]
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "a-service", "private": True, "type": "module"}))

    # jose from npm's cache only (`make test` runs `npm ci` in the package first): no registry request.
    offline = subprocess.run([npm, "install", "--offline", "--no-audit", "--no-fund", str(tmp_path / tarball)],
                             cwd=project, env=clean_env(), capture_output=True, text=True, timeout=INSTALL_SECONDS)
    if offline.returncode != 0 and "ENOTCACHED" in offline.stdout + offline.stderr:
        unavailable("jose in npm's cache", "run `make test` (or `npm ci` in examples/node-verify) first")
    assert offline.returncode == 0, offline.stdout + offline.stderr

    tree = json.loads(run(npm, "ls", "--all", "--json", cwd=project))
    assert set(tree["dependencies"]) == {"consent-verifier"}
    assert set(tree["dependencies"]["consent-verifier"].get("dependencies", {})) == {"jose"}
    manifest = json.loads((project / "node_modules" / "consent-verifier" / "package.json").read_text())
    assert (project / "node_modules" / "consent-verifier" / manifest["exports"]["."]["types"]).is_file()
    (project / "check.mjs").write_text(NODE_CHECK)

    answers = json.loads(run(node, "check.mjs", live_server.url, issue_token(live_server), SUBJECT, cwd=project))

    assert answers == EXPECTED_ANSWERS
