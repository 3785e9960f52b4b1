"""Contract fuzzing: schemathesis drives every operation of the live /openapi.json of a real gunicorn."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
# The custom check (refused_only_by_published_rules) runs with every built-in one: --checks all includes it.
HOOKS = Path(__file__).with_name("contract_hooks.py")
RULES_EXTENSION = "x-rules-beyond-schema"
# positive_data_acceptance's own list, plus 422 for the operations that publish rules beyond their schema: the
# hooks' check then fails a 422 whose error fields those rules do not name.
POSITIVE_WITH_RULES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
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


# Where the real values go: (location.path as schemathesis' [parameters] spells it) -> dictionary.
REAL_VALUES = {
    "body.purposes[*]": "purposes", "body.purpose": "purposes", "body.events[*].purpose": "purposes",
    "body.declarations[*].purpose": "purposes", "path.property_id": "properties", "path.declaration_id": "declarations",
    "body.urls[*]": "pages", "body.extra_origins[*]": "origins", "body.domain": "hosts",
}


def api(live_server, key: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{live_server.url}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json",
    })
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


# schemathesis' warning for an operation that refused (400/422) every schema-valid case of a phase: its schema allows
# what its validation refuses. Any operation in it fails the run; the document states the rules instead (a language
# map's keys as propertyNames, a cookie domain's one pattern, a closed set's names).
MISMATCH = "Schema validation mismatch"


def fuzzer_config(document: dict, *, real: dict[str, list[str]], target: Path) -> Path:
    """schemathesis.toml, plus what this server holds and the document's rules beyond its schemas.

    Real values (purpose keys of the catalogue, a property's id) are mixed in for half the draws, the other half
    stays generated: without them, operations whose data the schema cannot state (which purposes exist) would
    refuse every request and test nothing past the refusal. One [[operations]] entry per operation that publishes
    rules beyond its schema (consent_service/openapi_rules.py): only those may answer 422 to schema-valid data.
    """
    dictionaries = "".join(f"\n[dictionaries.{name}]\nvalues = {json.dumps(values)}\n" for name, values in real.items())
    parameters = "\n[parameters]\n" + "".join(
        f'"{where}" = {{ dictionary = "{name}", probability = 0.5 }}\n' for where, name in REAL_VALUES.items()
    )
    entries = []
    for path, operations in sorted(document["paths"].items()):
        for method, operation in sorted(operations.items()):
            if isinstance(operation, dict) and operation.get(RULES_EXTENSION):
                entries.append(
                    f"\n[[operations]]\ninclude-path = {json.dumps(path)}\ninclude-method = {json.dumps(method.upper())}\n"
                    f"checks.positive_data_acceptance.expected-statuses = {json.dumps(POSITIVE_WITH_RULES)}\n"
                )
    assert entries, "the document publishes no rules beyond its schemas"
    target.write_text(CONFIG.read_text() + dictionaries + parameters + "".join(entries))
    return target


def test_every_operation_conforms_to_the_published_contract(live_server, tmp_path):
    scopes = ["consents:read", "consents:write", "tokens:issue", "subjects:export", "subjects:erase", "admin"]
    scope_args = [arg for scope in scopes for arg in ("--scope", scope)]
    key = live_server.flask("keys", "create", "--name", "fuzzer", *scope_args).stdout.strip()
    document = api(live_server, key, "GET", "/openapi.json")
    purposes = [purpose["key"] for purpose in api(live_server, key, "GET", "/v1/purposes")["purposes"]]
    shop = api(live_server, key, "POST", "/v1/properties", {
        "name": "Fuzzed shop", "allowed_origins": ["https://shop.example"], "notice_version": "2026-01-01",
        "notice_url": "https://shop.example/privacy",
    })
    cookie = api(live_server, key, "POST", f"/v1/properties/{shop['id']}/cookie-declarations", {
        "name_pattern": "_ga", "purpose": "analytics", "retention": "13 months", "description": {"en": "Analytics"},
    })
    real = {
        "purposes": purposes, "properties": [shop["id"]], "declarations": [cookie["id"]],
        "pages": ["https://shop.example/", "https://shop.example/privacy"], "origins": ["https://shop.example"],
        "hosts": ["shop.example"],
    }
    config = fuzzer_config(document, real=real, target=tmp_path / "schemathesis.toml")
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{live_server.url}/openapi.json", "--header", f"Authorization: Bearer {key}",
         "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
         "--request-timeout", "10", "--no-color", "--output-truncate", "true",
         "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )
    summary = result.stdout[-8000:]
    # Schema and validation agree: no operation refuses the data its schema allows.
    assert MISMATCH not in result.stdout, summary
    assert result.returncode == 0, summary
    assert "Selected: " in summary and "Tested: " in summary
    selected = summary.split("Selected: ")[1].split()[0]
    tested = summary.split("Tested: ")[1].split()[0]
    # Every operation of the document is exercised, none skipped or excluded.
    assert selected.split("/")[0] == selected.split("/")[1] == tested, summary
    # The stateful phase ran and followed links between operations.
    assert "Stateful" in result.stdout and "API Links:" in result.stdout, summary
