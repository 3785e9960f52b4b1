"""How long the service's commands take to start: wall and CPU time of whole processes, median of interleaved runs."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Commands that need neither the web app nor a domain's heavy parts: listing, help, reading the rules file.
COMMANDS = ("--help", "keys list", "rules docs --out -", "config docs --help")


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of argv, which must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited {process.returncode}: {stderr}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--program",
        default=f"{sys.executable} -m flask",
        help="the command line before each command (default: this Python's `-m flask`, FLASK_APP as set)",
    )
    parser.add_argument("--label", default="", help="what the measured tree is (a commit, a branch)")
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md's cli-start section")
    parser.add_argument("commands", nargs="*", default=list(COMMANDS))
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("FLASK_APP", "consent_service:create_cli_app")
    # Bytecode caches are part of a real start: with this set, every run compiles the checkout again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    program = shlex.split(args.program)
    argvs = {command: program + shlex.split(command) for command in args.commands}
    for argv in argvs.values():  # warm-up: .pyc files written, page cache filled
        run_once(argv, env)
    walls: dict[str, list[float]] = {command: [] for command in argvs}
    cpus: dict[str, list[float]] = {command: [] for command in argvs}
    for _ in range(args.runs):  # rounds interleaved, so a busy moment of the machine spreads over every command
        for command, argv in argvs.items():
            wall, cpu = run_once(argv, env)
            walls[command].append(wall)
            cpus[command].append(cpu)

    load = os.getloadavg()
    lines = [
        f"- {args.label + ', ' if args.label else ''}`{args.program}` (FLASK_APP={env['FLASK_APP']}), "
        f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f} at the end; "
        f"{args.runs} interleaved runs after a warm-up",
        "",
        "| Command | wall median (fastest–slowest) | CPU (user + sys) median |",
        "| --- | --- | --- |",
    ]
    for command in argvs:
        lines.append(
            f"| `{command}` | {statistics.median(walls[command]):.2f} s "
            f"({min(walls[command]):.2f}–{max(walls[command]):.2f}) | {statistics.median(cpus[command]):.2f} s |"
        )
    print("\n".join(lines))
    if args.write:
        write_section("cli-start", "\n".join(lines), heading="CLI start")


if __name__ == "__main__":
    main()
