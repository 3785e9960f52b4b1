"""Contract fuzzing: schemathesis drives every operation of the live /openapi.json of a real gunicorn."""
from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# A few examples per operation keep `make test` short; the seed makes a CI failure reproducible locally.
MAX_EXAMPLES = 5
SEED = 20260115


def test_every_operation_conforms_to_the_published_contract(live_server, tmp_path):
    scopes = ["consents:read", "consents:write", "tokens:issue", "subjects:export", "subjects:erase", "admin"]
    scope_args = [arg for scope in scopes for arg in ("--scope", scope)]
    key = live_server.flask("keys", "create", "--name", "fuzzer", *scope_args).stdout.strip()
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{live_server.url}/openapi.json",
         "--header", f"Authorization: Bearer {key}", "--checks", CHECKS,
         "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--request-timeout", "10",
         "--output-truncate", "true", "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Selected: " in summary and "Tested: " in summary
    selected = summary.split("Selected: ")[1].split()[0]
    tested = summary.split("Tested: ")[1].split()[0]
    # Every operation of the document is exercised, none skipped or excluded.
    assert selected.split("/")[0] == selected.split("/")[1] == tested, summary
