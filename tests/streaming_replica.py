"""A test-owned PostgreSQL primary and streaming replica on free loopback ports, for the replica tests and benches."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Fast and throwaway: nothing here must survive a crash of the machine, and fsync would dominate setup.
SERVER_SETTINGS = """
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
# A query on the replica that conflicts with replay is cancelled after this, so replay never waits long.
max_standby_streaming_delay = 5s
"""


class ReplicationUnavailable(RuntimeError):
    """The machine cannot run a primary and a streaming replica (no server binaries, no postgres user, ...)."""


def server_bin_dir() -> Path:
    """Where initdb, pg_ctl and pg_basebackup live: PG_BIN_DIR, or the newest Debian server package."""
    if configured := os.environ.get("PG_BIN_DIR"):
        return Path(configured)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name))
    if not candidates:
        raise ReplicationUnavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (set PG_BIN_DIR)")
    return Path(candidates[-1])


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """One cluster: its data directory, port and log, run as the postgres user when we are root."""

    data_dir: Path
    port: int
    bin_dir: Path
    socket_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def command(self, program: str, *args: str) -> list[str]:
        argv = [str(self.bin_dir / program), *args]
        # The server refuses to run as root; a root test run hands it to the postgres user.
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def run(self, program: str, *args: str, timeout: float = 60) -> None:
        completed = subprocess.run(self.command(program, *args), capture_output=True, text=True, timeout=timeout)
        if completed.returncode != 0:
            raise ReplicationUnavailable(f"{program} {' '.join(args)} failed: {completed.stderr.strip()[-500:]}")

    def configure(self) -> None:
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(SERVER_SETTINGS)
            # Later lines win: a base backup copies the primary's file, so the replica appends its own port.
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.socket_dir}'\n")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        status = subprocess.run(self.command("pg_ctl", "-D", str(self.data_dir), "status"), capture_output=True)
        return status.returncode == 0


@dataclass
class StreamingPair:
    """A primary and a hot standby replaying its WAL over streaming replication."""

    root: Path
    primary: Server
    replica: Server
    databases: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> StreamingPair:
        bin_dir = server_bin_dir()
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            raise ReplicationUnavailable("running as root without runuser to start the server as postgres")
        root = Path(tempfile.mkdtemp(prefix="consent-replica-"))
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
        primary = Server(root / "primary", free_loopback_port(), bin_dir, root)
        replica = Server(root / "replica", free_loopback_port(), bin_dir, root)
        pair = cls(root, primary, replica)
        try:
            primary.run("initdb", "-D", str(primary.data_dir), "-A", "trust", "-U", "postgres", "--no-sync")
            primary.configure()
            primary.start()
            replica.run(
                "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", str(replica.data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync",
            )  # fmt: skip
            replica.configure()
            replica.start()
        except (ReplicationUnavailable, OSError, subprocess.TimeoutExpired):
            pair.stop()
            raise
        return pair

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            if server.data_dir.exists() and server.running():
                server.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def sql(self, server: Server, statement: str, database: str = "postgres") -> object:
        """One statement in autocommit on a server; the first column of its first row, if any."""
        import psycopg

        with psycopg.connect(server.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def create_database(self, name: str) -> tuple[str, str]:
        """A new database on the primary, replayed on the replica: its (primary, replica) URLs."""
        self.sql(self.primary, f"CREATE DATABASE {name}")
        self.databases.append(name)
        self.wait_replayed()
        return self.primary.url(name), self.replica.url(name)

    def pause_replay(self) -> None:
        self.sql(self.replica, "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.sql(self.replica, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not pause replay")
            time.sleep(0.01)

    def resume_replay(self) -> None:
        self.sql(self.replica, "SELECT pg_wal_replay_resume()")

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.sql(self.primary, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.sql(self.replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.01)
