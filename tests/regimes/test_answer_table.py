"""Every answer a privacy lawyer would sign, case by case: jurisdiction x purpose x signal x age x
actor x method x recipient, each with its exact `allowed`, `reason` and `basis`, on both databases.

The cases live in tests/regimes/answer_cases/ (one module per topic); tests/regimes/answer_table.py
says what a case is and plays it through the API.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from tests.regimes import answer_cases
from tests.regimes.answer_table import Case, run


def _all_cases() -> list[Case]:
    cases = []
    for module in pkgutil.iter_modules(answer_cases.__path__):
        cases += importlib.import_module(f"{answer_cases.__name__}.{module.name}").CASES
    return cases


CASES = _all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_answer(case: Case, client, auth, clock, app_with, tmp_path):
    headers = auth("consents:read", "consents:write", "subjects:erase", "admin")
    assert run(case, client=client, headers=headers, clock=clock, app_with=app_with, tmp_path=tmp_path) == case.expect


def test_every_case_has_its_own_name():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
