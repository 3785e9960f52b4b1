"""Find personal data and secrets in a run's logs: full IPs, emails, API keys, tokens, signed links."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests import run_logs

# What any of these looks like, whether or not the run wrote it down.
PATTERNS = {
    "api_key": re.compile(r"\bsk_[a-z0-9]{8}_(?!\[redacted\])[A-Za-z0-9]{8,}"),
    "webhook_secret": re.compile(r"\bwhsec_(?!\[redacted\])[A-Za-z0-9+/=_-]{8,}"),
    "token": re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}"),
    "email": run_logs.EMAIL,
    "ip": re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.])"),
}
# The service's own addresses are not anyone's personal data; a /24 network (x.y.z.0) is what the logs may keep.
HARMLESS_IPS = ("127.", "0.0.0.0")
# Characters of a recorded secret; anything else separates one word of a log line from the next.
WORD = re.compile(r"[A-Za-z0-9_.\-@%+~]+")


@dataclass(frozen=True)
class Leak:
    file: str
    line: int
    kind: str
    shown: str  # the start of what leaked, never all of it

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind} {self.shown}..."


def read_secrets(folder: Path) -> dict[str, str]:
    """value -> kind, for every secret the run recorded."""
    secrets = {}
    path = folder / run_logs.SECRETS
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, _, value = line.partition("\t")
            if value:
                secrets[value] = kind
    return secrets


def log_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob(f"*{run_logs.SERVICE_LOG_SUFFIX}"), *folder.glob(run_logs.APP_LOG)])


def scan(folder: Path) -> list[Leak]:
    secrets = read_secrets(folder)
    # Most secrets are single words; the others (IPv6 addresses) are looked for as substrings.
    odd = [value for value in secrets if not WORD.fullmatch(value)]
    leaks = []
    for path in log_files(folder):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                found = {Leak(path.name, number, kind, value[:6]) for kind, value in _leaks_in(line, secrets, odd)}
                leaks.extend(sorted(found, key=str))
    return leaks


def _leaks_in(line: str, secrets: dict[str, str], odd: list[str]):
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(line):
            found = match.group()
            if kind == "ip" and (found.startswith(HARMLESS_IPS) or found.endswith(".0")
                                 or any(int(part) > 255 for part in match.groups())):
                continue
            yield kind, found
    for word in WORD.findall(line):
        for candidate in (word, word.rstrip(".")):
            if candidate in secrets:
                yield secrets[candidate], candidate
                break
    for value in odd:
        if value in line:
            yield secrets[value], value
