"""The whole run's logs (in-process and every gunicorn) hold no full IP, email, token or API key."""
from __future__ import annotations

import pytest

from tests import run_logs
from tests.log_privacy.scan import log_files, read_secrets, scan

pytestmark = pytest.mark.log_privacy  # reads a whole run's logs: run after it (conftest.py)


def test_the_run_logged_no_personal_data_or_secret():
    folder = run_logs.run_dir()
    assert folder.is_dir(), f"no run's logs at {folder}: run the test suite first (make test does both)"
    files = log_files(folder)
    app_log = folder / run_logs.APP_LOG
    assert app_log in files and app_log.stat().st_size > 0, "the in-process app logged nothing: is capture on?"
    assert read_secrets(folder), "the run recorded no secret to look for"
    leaks = scan(folder)
    assert leaks == [], "\n".join(str(leak) for leak in leaks[:50])
