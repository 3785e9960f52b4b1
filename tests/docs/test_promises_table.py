"""docs/promises.md maps each promise to the rule that keeps it and the tests that pin it: every rules
path, code path and test it names exists, and a promise the service cannot keep says why."""
from __future__ import annotations

import ast
import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from consent_service.regimes.service import DEFAULT_RULES_PATH

REPOSITORY = Path(__file__).resolve().parents[2]
TABLE = REPOSITORY / "docs" / "promises.md"
ENFORCED, NOT_ENFORCEABLE = "enforced", "not enforceable:"
RULES_PREFIX = "rules.json#"
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Row:
    number: str
    promise: str
    rules: tuple[str, ...]
    tests: tuple[str, ...]
    status: str


def table_rows(text: str) -> list[Row]:
    """The rows of the promise table (the one whose header starts `| # | Promise |`)."""
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("| # | Promise |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 6, f"row {cells[0]}: {len(cells)} cells, want # | Promise | Where | Rule | Tests | Status"
        number, promise, _where, rules, tests, status = cells
        references = tuple(token for token in re.findall(r"`([^`]+)`", rules)
                           if token.startswith(RULES_PREFIX) or "/" in token)
        rows.append(Row(number, promise, references, tuple(re.findall(r"`([^`]+)`", tests)), status))
    return rows


ROWS = table_rows(TABLE.read_text(encoding="utf-8"))


def rules_path_problem(path: str) -> str | None:
    """Why `regimes.opt_out.purposes.advertising.default` or `minors[1]` names nothing in the shipped rules."""
    node = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for key, index in PATH_PART.findall(path):
        if key and isinstance(node, dict) and key in node:
            node = node[key]
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return f"rules.json has no {path!r} (stops at {key or index!r})"
    return None


@cache
def definitions(file: str) -> ast.Module:
    return ast.parse((REPOSITORY / file).read_text(encoding="utf-8"))


def defined(file: str, dotted_name: str) -> bool:
    """Whether `name` or `Class.method` is defined at the top of a Python file."""
    scope: list[ast.stmt] = definitions(file).body
    for part in dotted_name.split("."):
        found = next((node for node in scope if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and node.name == part), None)
        if found is None:
            return False
        scope = found.body
    return True


def code_path_problem(reference: str) -> str | None:
    file, _, name = reference.partition("::")
    if not (REPOSITORY / file).exists():
        return f"{file} does not exist"
    if name and not (file.endswith(".py") and defined(file, name)):
        return f"{file} defines no {name}"
    return None


def parameter_ids(file: str, function: str) -> list[str]:
    """The case ids pytest gives a parametrized test (the database parameter aside)."""
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    marks = [mark for mark in getattr(getattr(module, function), "pytestmark", []) if mark.name == "parametrize"]
    assert len(marks) == 1, f"{file}::{function}: name a test with one parametrize, or no case"
    values, ids = marks[0].args[1], marks[0].kwargs.get("ids")
    if ids is not None:
        return [str(each) for each in ids]
    return [value.id if getattr(value, "id", None) is not None else
            "-".join(map(str, value)) if isinstance(value, tuple) else str(value) for value in values]


def node_id_problem(node_id: str) -> str | None:
    file, _, rest = node_id.partition("::")
    if not rest:
        return f"{node_id}: name the test function (file::function), not only the file"
    if not (REPOSITORY / file).exists():
        return f"{file} does not exist"
    function, _, case = rest.partition("[")
    if not defined(file, function.replace("::", ".")):
        return f"{file} defines no test {function}"
    if case and case.removesuffix("]") not in parameter_ids(file, function):
        return f"{file}::{function} has no case {case.removesuffix(']')!r}"
    return None


@pytest.mark.parametrize("row", ROWS, ids=[row.number for row in ROWS])
def test_each_promise_names_a_rule_and_tests_that_exist(row: Row):
    problems = []
    if row.status != ENFORCED and not (
            row.status.startswith(NOT_ENFORCEABLE) and row.status.removeprefix(NOT_ENFORCEABLE).strip()):
        problems.append(f"status {row.status!r}: enforced, or 'not enforceable: <the reason>'")
    if row.status == ENFORCED and not row.rules:
        problems.append("names no rule (rules.json#<path> or a file of the repository)")
    if row.status == ENFORCED and not any("::" in test for test in row.tests):
        problems.append("names no test that pins it")
    for reference in row.rules:
        if reference.startswith(RULES_PREFIX):
            problems.append(rules_path_problem(reference.removeprefix(RULES_PREFIX)))
        else:
            problems.append(code_path_problem(reference))
    for node_id in row.tests:
        if not node_id.startswith("tests/"):
            problems.append(f"{node_id!r} is not a test node id (tests/...py::function[case])")
        else:
            problems.append(node_id_problem(node_id))
    assert [problem for problem in problems if problem] == [], f"promise {row.number}: {row.promise[:80]}"


def test_the_table_covers_every_kind_of_promise():
    """Consent, opt-outs, sale and sharing, children, recording, transfers, automated decisions,
    retention, rights, GPC and cookies each have a row."""
    text = " ".join(row.promise.lower() for row in ROWS)
    for word in ("consent", "opt out", "sell", "children", "record", "transfer", "automated", "kept", "delete",
                 "global privacy control", "cookie"):
        assert word in text, word
    assert len(ROWS) >= 25


@pytest.mark.parametrize(("node_id", "problem"), [
    ("tests/regimes/test_answer_table.py::test_answer[a withdrawal stops it]", None),
    ("tests/regimes/test_answer_table.py::test_answer[a withdrawal never happened]", "has no case"),
    ("tests/regimes/test_answer_table.py::test_no_such_thing", "defines no test"),
    ("tests/regimes/test_nowhere.py::test_x", "does not exist"),
    ("tests/regimes/test_answer_table.py::test_answer[gpc: subject accept all]", None),
    ("tests/regimes/test_subdivisions.py", "name the test function"),
])
def test_the_checker_refuses_what_does_not_exist(node_id, problem):
    found = node_id_problem(node_id)
    assert (found is None) if problem is None else (problem in found), found


def test_a_rules_path_that_does_not_exist_is_named():
    assert rules_path_problem("regimes.opt_out.purposes.advertising.default") is None
    assert rules_path_problem("policy.minors[1]") is None
    assert "has no 'policy.minors[9]'" in rules_path_problem("policy.minors[9]")
    assert "has no 'regimes.opt_sideways'" in rules_path_problem("regimes.opt_sideways")
    assert code_path_problem("consent_service/regimes/service.py::RegimeRules.public_regime") is None
    assert "defines no" in code_path_problem("consent_service/regimes/service.py::RegimeRules.laxest_regime")
