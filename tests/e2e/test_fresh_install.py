"""The Dockerfile's install and start commands, run in a fresh virtualenv: the service comes up healthy."""
from __future__ import annotations

import os
import subprocess
import venv

import pytest

from tests import run_logs
from tests.conftest import ENCRYPTION_KEY
from tests.e2e.conftest import ROOT, free_port, wait_until_healthy

pytestmark = pytest.mark.e2e


def test_install_and_start_as_the_dockerfile_does(tmp_path):
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    # The Dockerfile's build stage: `pip install .` (no editable install, no test extras).
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", str(ROOT)], capture_output=True, text=True,
                               timeout=600, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]
    port = free_port()
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for copied in ("wsgi.py", "gunicorn.conf.py"):  # the Dockerfile's COPY
        (app_dir / copied).write_text((ROOT / copied).read_text())
    os.symlink(ROOT / "migrations", app_dir / "migrations")
    env = {"PATH": f"{environment / 'bin'}:/usr/bin:/bin", "FLASK_APP": "consent_service:create_cli_app", "CONSENT_ENV": "production",
           "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'consent.db'}", "SECRET_KEY": "install-secret-key-long-enough-for-prod",
           "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY, "ERASURE_PEPPER": "install-pepper-long-enough-for-production",
           "TOKEN_ISSUER": f"http://127.0.0.1:{port}"}
    migrated = subprocess.run(["flask", "db", "upgrade"], env=env, cwd=app_dir, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    # The console script the package declares runs the same commands.
    listed = subprocess.run(["consent-service", "keys", "list"], env=env, cwd=app_dir, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert listed.stdout.split() == ["PREFIX", "NAME", "SCOPES", "CREATED_AT", "REVOKED_AT"]
    log = run_logs.service_log("gunicorn-fresh-install")
    with log.open("w") as log_file:
        # The Dockerfile's CMD, verbatim.
        process = subprocess.Popen(["sh", "-c", "exec gunicorn --workers ${WEB_CONCURRENCY} --bind ${HOST}:${PORT} wsgi:app"],
                                   env=env, cwd=app_dir, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
        finally:
            process.terminate()
            process.wait(timeout=15)
