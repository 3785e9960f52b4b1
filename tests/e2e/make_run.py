"""`make run` as a newcomer starts it: in a fresh copy of the checkout, in a process group of its own.

The copy keeps the checkout's files (and their times, so make finds the virtualenv up to date) and runs this
checkout's virtualenv; its own instance folder starts empty, as in a fresh clone, and is where the
development secrets and the demo key land (the copy's package is imported from its working directory).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests import run_logs
from tests.conftest import unavailable
from tests.e2e.conftest import ROOT, SECRET_KEY_PATTERN, free_port

VENV = ROOT / ".venv"
START_SECONDS = 120
SERVING_LINE = "Serving on http://"


def fresh_copy(destination: Path) -> Path:
    """The checkout's files (tracked and new, not ignored), as a fresh clone would have them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def make_run_environment(database_url: str) -> dict:
    """The environment of a terminal that runs `make run` on this database, on a free loopback port."""
    if shutil.which("make") is None:
        unavailable("make", "`make` is not installed")
    if not (VENV / "bin" / "honcho").exists():
        unavailable("honcho", "run `make install-test` (the `run` extra installs honcho)")
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("CONSENT_ENV", "SECRET_KEY", "KEY_ENCRYPTION_KEYS", "ERASURE_PEPPER", "TOKEN_ISSUER",
                          "FLASK_APP", "PORT", "HOST", "DATABASE_URL", "WEB_CONCURRENCY")}
    env.update(HOST="127.0.0.1", PORT=str(port))
    if database_url.startswith("postgresql"):
        env["DATABASE_URL"] = database_url
    # SQLite: no DATABASE_URL at all, the default file in the copy's instance folder, created by `make run`.
    return env


class MakeRun:
    """`make run` started in its own process group, as a terminal would, with its output in a file."""

    def __init__(self, checkout: Path, env: dict, output: Path) -> None:
        self.checkout, self.env, self.output = checkout, env, output
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        installed = [f"--old-file={VENV / marker}" for marker in (".installed", ".installed-test")]
        with self.output.open("w") as stream:
            self.process = subprocess.Popen(["make", *installed, "run", f"VENV={VENV}"], cwd=self.checkout,
                                            env=self.env, stdout=stream, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200 and "worker.1 started" in self.text():
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise AssertionError("make run did not serve in time:\n" + self.text())

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def demo_key(self) -> str:
        keys = SECRET_KEY_PATTERN.findall(self.text())
        assert len(keys) == 1, self.text()
        run_logs.remember_secret("api_key", keys[0])
        return keys[0]

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the whole foreground group (make, honcho, gunicorn and its workers, the worker)."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)
        # Every process of the group is gone, not only make.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_members(self.process.pid):
            time.sleep(0.1)
        assert not _group_members(self.process.pid), self.text()

    def keep_logs(self, name: str) -> None:
        """The served processes' output, for the run's log privacy scan (before it: the commands' answers)."""
        text = self.text()
        run_logs.service_log(name).write_text(text[text.index(SERVING_LINE):] if SERVING_LINE in text else "")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    members.append(int(entry.name))
            except ProcessLookupError:  # ended while we looked
                continue
    return members
