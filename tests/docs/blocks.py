"""The fenced code blocks of README.md and docs/*.md, and the rule for the shell ones: run by a test or illustrative.

A shell block's info string is `sh` and one word more: `illustrative` (no test runs it: placeholders,
production hosts), or the name of the runner that does, one of RUNNERS. GitHub renders every one as sh.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
SHELLS = frozenset({"sh", "bash", "shell", "console", "zsh", "shell-session"})
ILLUSTRATIVE = "illustrative"
# Runner name -> the test that runs every block tagged with it, and the documents it reads them from.
RUNNERS = {
    "tour": "tests/docs/test_readme_tour.py",  # README.md's tour, in order, against `make run`
    "demo": "tests/docs/test_readme_tour.py",  # the guides' commands, after the tour, with its variables
}
# First words that make an unlabelled block a command someone would paste into a shell.
COMMAND_WORDS = frozenset({"curl", "flask", "consent-service", "make", "docker", "pip", "npm", "node", "gunicorn", "cd",
                           "git", "python", "python3", "export", "cp", "psql", "pytest", "$"})
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, from 1
    language: str
    tags: tuple[str, ...]
    text: str

    @property
    def where(self) -> str:
        try:
            return f"{self.path.relative_to(REPOSITORY)}:{self.line}"
        except ValueError:  # a document outside the repository (the parser's own tests)
            return f"{self.path}:{self.line}"

    @property
    def is_shell(self) -> bool:
        return self.language in SHELLS


def documents() -> list[Path]:
    """The docs a reader follows: the README and every guide."""
    return [README, *sorted((REPOSITORY / "docs").glob("*.md"))]


def blocks_of(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of a Markdown document (CommonMark fences: ``` or ~~~, closed by a longer-or-equal run)."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None or (opening.group(2)[0] == "`" and "`" in opening.group(3)):
            index += 1
            continue
        fence, info = opening.group(2), opening.group(3).split()
        end = index + 1
        while end < len(lines) and not re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", lines[end]):
            end += 1
        found.append(Block(path=path, line=index + 1, language=info[0].lower() if info else "",
                           tags=tuple(info[1:]), text="\n".join(lines[index + 1:end]) + "\n"))
        index = end + 1
    return found


def all_blocks(paths: Iterable[Path] | None = None) -> list[Block]:
    return [block for path in (documents() if paths is None else paths) for block in blocks_of(path)]


def tagged(tag: str, paths: Iterable[Path] | None = None) -> list[Block]:
    """The shell blocks a runner runs, in document order."""
    return [block for block in all_blocks(paths) if block.is_shell and block.tags == (tag,)]


def problems(blocks: Iterable[Block]) -> list[str]:
    """What breaks the rule, one line per block."""
    found = []
    for block in blocks:
        if block.is_shell:
            if block.language != "sh":
                found.append(f"{block.where}: a shell block's info string is `sh`, not `{block.language}`")
            if len(block.tags) != 1 or (block.tags[0] != ILLUSTRATIVE and block.tags[0] not in RUNNERS):
                found.append(f"{block.where}: `{block.language} {' '.join(block.tags)}`: mark it `sh {ILLUSTRATIVE}`"
                             f" or tag it with the runner that runs it ({', '.join(sorted(RUNNERS))})")
        elif not block.language and first_word(block.text) in COMMAND_WORDS:
            found.append(f"{block.where}: a command in a block without an info string: make it `sh ...`")
    return found


def first_word(text: str) -> str:
    """The first word of the first line that is not blank or a comment."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.split()[0]
    return ""
