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
# How each program is started with the checkout's code first on the path (`python -m` and `-c` put the working
# directory there): `flask` as its own script does, `consent-service` as pip's console script does.
PROGRAMS = {
    "flask": [sys.executable, "-m", "flask"],
    "consent-service": [sys.executable, "-c", "import sys; from consent_service.cli import main; sys.exit(main())"],
}


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of argv, which must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    parser.add_argument("--program", choices=sorted(PROGRAMS), default="flask", help="the program each command runs in")
    parser.add_argument("--label", default="", help="what the measured tree is (a commit, a branch)")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="run in this checkout (its code is imported first): another commit's, for a before/after",
    )
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md's cli-start section")
    parser.add_argument("commands", nargs="*", default=list(COMMANDS))
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("FLASK_APP", "consent_service:create_cli_app")
    # Bytecode caches are part of a real start: with this set, every run compiles the checkout again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    program = PROGRAMS[args.program]
    argvs = {command: program + shlex.split(command) for command in args.commands}
    for argv in argvs.values():  # warm-up: .pyc files written, page cache filled
        run_once(argv, env, args.checkout)
    walls: dict[str, list[float]] = {command: [] for command in argvs}
    cpus: dict[str, list[float]] = {command: [] for command in argvs}
    for _ in range(args.runs):  # rounds interleaved, so a busy moment of the machine spreads over every command
        for command, argv in argvs.items():
            wall, cpu = run_once(argv, env, args.checkout)
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
