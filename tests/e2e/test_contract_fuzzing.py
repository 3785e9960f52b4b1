"""Contract fuzzing: schemathesis drives every operation of the live /openapi.json of a real gunicorn."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The acceptance bar of the published contract: every check, and every phase (the stateful one follows the
# document's links from what a POST creates to the operations that read, change and delete it).
CHECKS = "all"
PHASES = "examples,coverage,fuzzing,stateful"
MAX_EXAMPLES = 25
# The seed makes a CI failure reproducible locally.
SEED = 20260115
FUZZED_SERVER = {
    # One client stands in for many: the fuzzer sends thousands of requests, hundreds of them unauthenticated on
    # purpose, from one address. The limits stay on (their 429s are documented and checked), only wider.
    "AUTH_FAILURE_RATE_LIMIT": "100000/minute",
    "BANNER_RATE_LIMIT_PER_IP": "100000/minute",
    "PRIVACY_REQUEST_RATE_LIMIT_PER_IP": "100000/hour",
    "PRIVACY_REQUEST_RATE_LIMIT_PER_IDENTIFIER": "100000/day",
    # Nothing leaves loopback here, and a generated webhook host such as "0" is an address: the document can say
    # a URL's shape, not the deployment's choice of targets (tests/webhooks test that refusal).
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
}


@pytest.fixture
def server_settings() -> dict[str, str]:
    return FUZZED_SERVER


def test_every_operation_conforms_to_the_published_contract(live_server, tmp_path):
    scopes = ["consents:read", "consents:write", "tokens:issue", "subjects:export", "subjects:erase", "admin"]
    scope_args = [arg for scope in scopes for arg in ("--scope", scope)]
    key = live_server.flask("keys", "create", "--name", "fuzzer", *scope_args).stdout.strip()
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
         f"{live_server.url}/openapi.json", "--header", f"Authorization: Bearer {key}",
         "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
         "--request-timeout", "10", "--no-color", "--output-truncate", "true",
         "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    summary = result.stdout[-8000:]
    # The config file makes this warning fail the run; checking the text too catches a config that did not load.
    assert "Schema validation mismatch" not in result.stdout, summary
    assert result.returncode == 0, summary
    assert "Selected: " in summary and "Tested: " in summary
    selected = summary.split("Selected: ")[1].split()[0]
    tested = summary.split("Tested: ")[1].split()[0]
    # Every operation of the document is exercised, none skipped or excluded.
    assert selected.split("/")[0] == selected.split("/")[1] == tested, summary
    # The stateful phase ran and followed links between operations.
    assert "Stateful" in result.stdout and "API Links:" in result.stdout, summary
