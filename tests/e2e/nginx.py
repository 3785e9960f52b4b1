"""Run nginx with the shipped deploy/nginx.conf in front of a loopback upstream, and clients that send slowly."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests import run_logs
from tests.conftest import unavailable
from tests.e2e.conftest import ROOT, free_port

NGINX = Path("/usr/sbin/nginx")
SHIPPED_CONFIG = ROOT / "deploy" / "nginx.conf"
STARTUP_SECONDS = 10
# Buffers of bodies and answers too large for memory; the compiled-in folders need root.
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def local_config(shipped: str, *, port: int, upstream: str, prefix: Path) -> str:
    """The shipped file with only what differs here: the upstream, a loopback port, writable temp folders."""
    temp_paths = "".join(f"    {kind}_temp_path {prefix / kind};\n" for kind in TEMP_PATHS)
    for old, new in (("server web:8000;", f"server {upstream};"), ("listen 8080;", f"listen 127.0.0.1:{port};"),
                     ("http {\n", "http {\n" + temp_paths)):
        assert shipped.count(old) == 1, f"{SHIPPED_CONFIG.name} should hold {old!r} exactly once"
        shipped = shipped.replace(old, new)
    return shipped


@dataclass(frozen=True)
class Nginx:
    url: str
    port: int
    log: Path


@contextmanager
def fronting(upstream: str, *, name: str = "nginx") -> Iterator[Nginx]:
    """nginx (not a daemon: a child of the test) on a free loopback port in front of `upstream` (host:port).
    Its output goes to the run's logs, which the log-privacy scan reads."""
    if not NGINX.exists():
        unavailable("nginx", f"{NGINX} is missing (apt-get install nginx)")
    prefix = Path(tempfile.mkdtemp(prefix="consent-nginx-"))
    prefix.chmod(0o755)  # run as root, nginx's workers take another user, who must reach the temp folders
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(local_config(SHIPPED_CONFIG.read_text(), port=port, upstream=upstream, prefix=prefix))
    log = run_logs.service_log(name)
    try:
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [str(NGINX), "-p", str(prefix), "-c", str(config), "-e", "stderr",
                 "-g", f"daemon off; pid {prefix / 'nginx.pid'};"],
                stdout=log_file, stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_listening(port, process, log)
                yield Nginx(url=f"http://127.0.0.1:{port}", port=port, log=log)
            finally:
                process.terminate()  # SIGTERM: nginx's fast shutdown
                process.wait(timeout=15)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}: {log.read_text()}")


class SlowClients:
    """`count` connections to a loopback port that send a request's headers one byte at a time and never
    finish them (slowloris), driven by one thread until closed or `max_seconds` have passed."""

    def __init__(self, port: int, *, count: int, interval: float = 0.2, max_seconds: float = 30) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        self._request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
        self._interval, self._max_seconds = interval, max_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        deadline = time.monotonic() + self._max_seconds
        for position in range(len(self._request)):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            for sock in self.sockets:
                try:
                    sock.send(self._request[position:position + 1])
                except OSError:
                    pass  # this one was closed by the server; the others go on
            self._stop.wait(self._interval)

    def still_open(self) -> int:
        """How many connections the server has neither answered nor closed."""
        open_ = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)  # data or EOF: answered or closed
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass  # reset
            finally:
                sock.setblocking(True)
        return open_

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()

    def __enter__(self) -> "SlowClients":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
