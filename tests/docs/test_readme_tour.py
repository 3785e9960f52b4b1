"""The README's tour, as a newcomer follows it: `make run` in a fresh checkout, then each `sh tour` block in
order in one bash session, then the guides' `sh demo` blocks with the tour's variables.

Only the port changes: the tour defines `BASE=http://127.0.0.1:8000` once and every command uses `$BASE`,
so the test rewrites that one line to the port it started `make run` on. curl runs with `--fail-with-body`
(a `.curlrc`), so a command the server refuses fails the test with the server's answer.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable
from tests.docs.blocks import README, Block, documents, tagged
from tests.e2e.make_run import VENV, MakeRun, fresh_copy, make_run_environment

pytestmark = pytest.mark.e2e

DEFAULT_BASE = "http://127.0.0.1:8000"
BASE_LINE = re.compile(rf"^BASE={re.escape(DEFAULT_BASE)}(?=\s|$)", re.MULTILINE)
SCRIPT_SECONDS = 180
MARKER = "::block {}::"


@pytest.fixture
def newcomer(database_url: str) -> dict[str, str]:
    """What the tour needs beyond `make run`: bash and curl, as on any machine that follows it."""
    for tool in ("bash", "curl"):
        if shutil.which(tool) is None:
            unavailable(tool, f"`{tool}` is not installed")
    return make_run_environment(database_url)


def script(blocks: list[Block], base: str) -> str:
    """The blocks as one bash session, each announced by a marker line so its output can be told apart."""
    parts = ["set -euo pipefail"]
    for number, block in enumerate(blocks):
        parts.append(f"printf '\\n{MARKER.format(number)}\\n'")
        parts.append(BASE_LINE.sub(f"BASE={base}", block.text))
    return "\n".join(parts) + "\n"


def outputs(stdout: str, count: int) -> list[str]:
    """Each block's output, by the markers; fewer than `count` when the session stopped early."""
    pieces = re.split(r"^::block (\d+)::$", stdout, flags=re.MULTILINE)
    return [pieces[index + 1] for index in range(1, len(pieces), 2)][:count]


def json_documents(text: str) -> list[dict[str, Any]]:
    """Every JSON object printed, also when curl prints two with no newline between them."""
    decoder, found, index = json.JSONDecoder(), list[dict[str, Any]](), 0
    while (index := text.find("{", index)) != -1:
        try:
            document, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index += 1
            continue
        if isinstance(document, dict):
            found.append(document)
        index = end
    return found


def test_the_readme_tour_and_the_guides_commands_run_against_make_run(newcomer: dict[str, str], tmp_path: Path) -> None:
    start, *steps = tagged("tour", [README])
    guides = tagged("demo", documents())
    # The tour starts the service the way the two commands say, and names its URL once.
    assert start.text.split("#")[0].strip() == "make run", start.where
    assert sum(len(BASE_LINE.findall(block.text)) for block in steps) == 1, "the tour defines BASE once"
    for block in [*steps, *guides]:
        assert "127.0.0.1:8000" not in BASE_LINE.sub("", block.text), f"{block.where}: use $BASE"
    assert len(steps) >= 5 and guides

    checkout = fresh_copy(tmp_path / "clone")
    (checkout / ".venv").symlink_to(VENV)  # what `make run` leaves in a checkout; the copy's package still wins
    curl_home = tmp_path / "curl"
    curl_home.mkdir()
    (curl_home / ".curlrc").write_text("fail-with-body\nshow-error\n")
    server = MakeRun(checkout, newcomer, tmp_path / "make-run.out")
    try:
        server.start()
        server.demo_key()  # one key printed, and the run logs are scanned for it
        blocks = [*steps, *guides]
        session = subprocess.run(["bash", "-c", script(blocks, server.url)], cwd=checkout, capture_output=True,
                                 check=False, text=True, timeout=SCRIPT_SECONDS, env={**newcomer, "CURL_HOME": str(curl_home)})
    finally:
        server.stop()
        server.keep_logs("readme-tour")
    said = outputs(session.stdout, len(blocks))
    failed = blocks[len(said) - 1].where if said else "before the first block"
    assert session.returncode == 0, f"{failed} failed:\n{session.stdout[-4000:]}\n{session.stderr[-4000:]}"
    assert len(said) == len(blocks)

    tour = json_documents("".join(said[:len(steps)]))
    recorded = next(doc for doc in tour if doc.get("revision") == 1 and "consents" in doc)
    assert recorded["consents"]["recording"]["decision"] == "granted"
    check = next(doc for doc in tour if "decisions" in doc)
    assert check["decisions"]["recording"]["allowed"] is True
    assert check["decisions"]["marketing"]["reason"] == "opt_in_required" and check["allowed"] is False
    ledger = next(doc for doc in tour if "events" in doc)
    assert [event["purpose"] for event in ledger["events"]] == ["recording"]
    assert any(key["alg"] == "EdDSA" for doc in tour for key in doc.get("keys", []))
    assert "customer:c-1 may be recorded: True" in "".join(said)
    banner = next(doc for doc in tour if "purposes" in doc and "regime" in doc)
    assert banner["property"]["key"].startswith("pk_") and banner["tokens"]["keys"]
