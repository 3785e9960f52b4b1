"""Every shell block of README.md and docs/*.md is run by a test (its runner tag) or marked illustrative."""
from __future__ import annotations

import re
from pathlib import Path

from tests.docs.blocks import ILLUSTRATIVE, README, REPOSITORY, RUNNERS, all_blocks, blocks_of, problems, tagged


def test_every_shell_block_is_sh_and_run_by_a_test_or_illustrative() -> None:
    assert problems(all_blocks()) == []


def test_the_docs_have_shell_blocks_of_every_kind() -> None:
    """The rule above is not kept by there being nothing to check."""
    shell = [block for block in all_blocks() if block.is_shell]
    assert len([block for block in shell if block.tags == (ILLUSTRATIVE,)]) >= 5
    for runner in RUNNERS:
        assert tagged(runner), f"no block is tagged `sh {runner}`: drop the runner or tag what it runs"


def test_each_runner_is_a_test_that_reads_its_tag() -> None:
    for runner, test in RUNNERS.items():
        path = REPOSITORY / test
        assert path.is_file(), f"runner {runner}: {test} is missing"
        assert re.search(rf"""tagged\(\s*["']{runner}["']""", path.read_text(encoding="utf-8")), \
            f"{test} does not read the blocks tagged `sh {runner}`"


def test_the_tour_is_the_readmes_and_the_guides_commands_are_the_guides() -> None:
    """The tour test reads `tour` blocks from the README only and `demo` blocks from docs/ only."""
    assert all(block.path == README for block in tagged("tour"))
    assert all(block.path.parent.name == "docs" for block in tagged("demo"))


def test_the_checker_finds_each_kind_of_problem(tmp_path: Path) -> None:
    document = tmp_path / "guide.md"
    lines = (
        "```bash", "flask keys list", "```",            # bash, and neither run nor illustrative
        "```sh", "make run", "```",                      # sh without a word saying who runs it
        "```sh someone", "make run", "```",              # a runner nobody registered
        "```", "# a comment first", "curl -s x", "```",  # a command without an info string
        "```sh illustrative", "docker compose up", "```",
        "```sh tour", "make run", "```",
        "````", "```sh", "inside a longer fence", "```", "````",
        "```", "row,period_start", "```",                # output, not a command
        "```json", "{}", "```",
    )
    document.write_text("\n".join(lines))
    found = problems(blocks_of(document))
    assert [line.split(": ", 1)[0] for line in found] == [f"{document}:{n}" for n in (1, 1, 4, 7, 10)], found
    assert "not `bash`" in found[0] and "sh illustrative" in found[1]
    assert len(blocks_of(document)) == 9  # the ```sh inside the four-backtick fence is its content, not a block
