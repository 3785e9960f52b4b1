"""The scanner's browser driver is an optional extra: only browser.py imports Playwright, nobody imports it on load."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "consent_service"
DRIVER = ROOT / "scanner" / "browser.py"
OPTIONAL = ("playwright", "consent_service.scanner.browser")


def imported_at_load(path: Path) -> list[tuple[int, str]]:
    """The modules `path` imports when it is itself imported: module level, not inside functions."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative: resolve against the package
                package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[: -node.level])
                found.append((node.lineno, f"{package}.{node.module}"))
            else:
                found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_only_the_driver_imports_playwright_or_the_driver_at_load():
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{line} imports {name}"
        for path in sorted(ROOT.rglob("*.py"))
        if path != DRIVER
        for line, name in imported_at_load(path)
        if any(name == optional or name.startswith(optional + ".") for optional in OPTIONAL)
    ]
    assert offenders == []
    assert any(name == "playwright.sync_api" for _, name in imported_at_load(DRIVER))  # the check sees imports
