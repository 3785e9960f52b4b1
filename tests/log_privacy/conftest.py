"""These tests read the logs of a whole run: they run only as `pytest -m log_privacy tests/log_privacy`, after it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import run_logs

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if HERE in Path(item.fspath).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.log_privacy)
    if not run_logs.is_privacy_check(config):
        # Inside an ordinary run they would read that run's logs half-written.
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]
