"""Write one benchmark's section of BENCHMARKS.md, between its `<!-- bench:NAME:start/end -->` markers."""
from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def write_section(name: str, body: str, *, heading: str) -> None:
    """Replace the section's text, or append it under `heading` if the file has no markers for it yet."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = BENCHMARKS.read_text()
    section = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text += f"\n## {heading}\n\n{section}\n"
    BENCHMARKS.write_text(text)
