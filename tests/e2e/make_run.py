"""`make run` as a newcomer starts it: in a fresh copy of the checkout, in a process group of its own.

The copy keeps the checkout's files (and their times, so make finds the virtualenv up to date) and runs this
checkout's virtualenv; its own instance folder starts empty, as in a fresh clone, and is where the
development secrets and the demo key land (the copy's package is imported from its working directory).
"""

from __future__ import annotations

import contextlib
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
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
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
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "CONSENT_ENV",
            "SECRET_KEY",
            "KEY_ENCRYPTION_KEYS",
            "ERASURE_PEPPER",
            "TOKEN_ISSUER",
            "FLASK_APP",
            "PORT",
            "HOST",
            "DATABASE_URL",
            "WEB_CONCURRENCY",
        )
    }
    env.update(HOST="127.0.0.1", PORT=str(port))
    if database_url.startswith("postgresql"):
        env["DATABASE_URL"] = database_url
    # SQLite: no DATABASE_URL at all, the default file in the copy's instance folder, created by `make run`.
    return env


class MakeRun:
    """`make run` started in its own process group, as a terminal would, with its output in a file.

    honcho starts each Procfile entry (gunicorn, the webhook worker) in a session of its own, so the
    sessions below `make` are noted once it serves, and stopping ends every process in them: one left
    behind would keep serving, or delivering webhooks from, the database the next tests use.
    """

    def __init__(self, checkout: Path, env: dict, output: Path) -> None:
        self.checkout, self.env, self.output = checkout, env, output
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.process: subprocess.Popen | None = None
        self.sessions: set[int] = set()

    def start(self) -> None:
        installed = [f"--old-file={VENV / marker}" for marker in (".installed", ".installed-test")]
        with self.output.open("w") as stream:
            self.process = subprocess.Popen(
                ["make", *installed, "run", f"VENV={VENV}"],
                cwd=self.checkout,
                # The checkout's virtualenv installed this checkout's package (editable): its console scripts
                # (consent-service) would import that one, where a fresh clone's own .venv imports the copy's.
                env={**self.env, "PYTHONPATH": str(self.checkout)},
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            if self._healthy() and "worker.1 started" in self.text():
                self.sessions = _sessions_below(self.process.pid)
                return
            time.sleep(0.2)
        raise AssertionError("make run did not serve in time:\n" + self.text())

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not listening yet
            return False

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def demo_key(self) -> str:
        keys = SECRET_KEY_PATTERN.findall(self.text())
        assert len(keys) == 1, self.text()
        run_logs.remember_secret("api_key", keys[0])
        return keys[0]

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the foreground group (make and honcho), which stops gunicorn and the worker."""
        self.sessions |= _sessions_below(self.process.pid)
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)
        # Every process make run started is gone, not only make: honcho stopped them all.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive_in(self.sessions):
            time.sleep(0.1)
        assert not _alive_in(self.sessions), self.text()

    def keep_logs(self, name: str) -> None:
        """The served processes' output, for the run's log privacy scan (before it: the commands' answers)."""
        text = self.text()
        run_logs.service_log(name).write_text(text[text.index(SERVING_LINE) :] if SERVING_LINE in text else "")

    def stop(self) -> None:
        """End every process make run started, whatever state the test left them in."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.sessions |= _sessions_below(self.process.pid)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in _alive_in(self.sessions):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive_in(self.sessions):
            time.sleep(0.1)
        assert not _alive_in(self.sessions), f"processes of make run outlived SIGKILL: {_alive_in(self.sessions)}"


def _processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, session) of every live process; zombies are left out, they only wait to be reaped."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):  # ended while we looked
                continue
            state, parent, _group, session = stat.rsplit(")", 1)[1].split()[:4]
            if state != "Z":
                found.append((int(entry.name), int(parent), int(session)))
    return found


def _sessions_below(root: int) -> set[int]:
    """The sessions of `root` and of every process below it."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, parent, _ in processes:
        children.setdefault(parent, []).append(pid)
    session_of = {pid: session for pid, _, session in processes}
    sessions, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in session_of:
            sessions.add(session_of[pid])
        todo.extend(children.get(pid, []))
    return sessions


def _alive_in(sessions: set[int]) -> list[int]:
    return [pid for pid, _, session in _processes() if session in sessions]
