"""Start a real gunicorn with production settings for a test, and find its worker processes."""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests import run_logs
from tests.conftest import ENCRYPTION_KEY
from tests.e2e.conftest import ROOT, free_port, run_flask, wait_until_healthy


@dataclass(frozen=True)
class Gunicorn:
    url: str
    env: dict
    process: subprocess.Popen
    log: Path

    def workers(self) -> set[int]:
        """The pids of the master's children: its workers."""
        children = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process ended while we looked
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.add(int(entry.name))
        return children

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def production_env(database_url: str, url: str, **extra: str) -> dict:
    return {
        **os.environ,
        "FLASK_APP": "consent_service:create_cli_app",
        "CONSENT_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "e2e-secret-key-long-enough-for-production-use",
        "KEY_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "ERASURE_PEPPER": "e2e-erasure-pepper-long-enough-for-production",
        "TOKEN_ISSUER": url,
        **extra,
    }


@contextmanager
def serving(database_url: str, *, name: str, workers: int = 2, threads: int = 1, **settings: str) -> Iterator[Gunicorn]:
    """A migrated database and gunicorn on a free port; its output goes to the run's logs."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = production_env(database_url, url, **settings)
    run_flask(env, "db", "upgrade")
    log = run_logs.service_log(name)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(url, process, log)
            yield Gunicorn(url=url, env=env, process=process, log=log)
        finally:
            process.terminate()
            process.wait(timeout=15)
