"""How far a long operation got, told to whoever listens: a command's progress bar on stderr, or no one.

Services call `progress(done, total)` now and then (once per batch, not per row: a terminal redraw costs more
than a row); the total may grow while they work.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

Progress = Callable[[int, int], None]


def unobserved(done: int, total: int) -> None:
    """The default listener: nobody."""


@contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A click progress bar on stderr (stdout stays the command's answer); on a non-terminal, the label once."""
    with click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True) as bar:

        def advance(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(max(done - bar.pos, 0))

        yield advance
