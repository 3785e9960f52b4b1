"""Two kinds of tests live here. The scans (marked log_privacy) read the logs of a whole run: they run only as
`pytest -m log_privacy tests/log_privacy`, after it. The others run in the ordinary run and make the service
log what the scan must find nothing in: database errors, gunicorn's own lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import run_logs

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    scans = [item for item in items if HERE in Path(item.fspath).resolve().parents
             and item.get_closest_marker("log_privacy")]
    if not run_logs.is_privacy_check(config):
        # Inside an ordinary run they would read that run's logs half-written.
        config.hook.pytest_deselected(items=scans)
        items[:] = [item for item in items if item not in scans]
