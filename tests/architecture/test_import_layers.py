"""The import direction of consent_service: HTTP -> flows -> domains -> models and vocabulary, no cycles.

See docs/internals.md ("Layers") for the layers; tests/architecture/import_layers.py for how they are read.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture import import_layers
from tests.architecture.import_layers import (
    core_imports_of_http,
    domains_importing_flows,
    foundation_imports_above,
    package_cycles,
    read_imports,
    report,
    shortest_loop,
)

SERVICE = Path(__file__).resolve().parents[2] / "consent_service"


@pytest.fixture(scope="module")
def imports() -> list[import_layers.Import]:
    return read_imports(SERVICE)


def test_the_walk_sees_the_service(imports: list[import_layers.Import]) -> None:
    # A walk that found nothing would pass every rule below.
    importers = {i.importer for i in imports}
    assert "consent_service.consents.service" in importers
    assert "consent_service.consents.api" in importers


def test_nothing_below_http_imports_request_glue(imports: list[import_layers.Import]) -> None:
    found = core_imports_of_http(imports)
    assert not found, report("Imports of HTTP modules from below (move the shared part down):", found)


def test_only_http_and_flows_import_flows(imports: list[import_layers.Import]) -> None:
    found = domains_importing_flows(imports)
    assert not found, report("Domains importing a flow (the flow calls the domain, not the reverse):", found)


def test_vocabulary_and_models_import_only_their_own_layer(imports: list[import_layers.Import]) -> None:
    found = foundation_imports_above(imports)
    assert not found, report("The vocabulary or a table importing from above:", found)


def test_no_import_cycle_between_packages(imports: list[import_layers.Import]) -> None:
    cycles = package_cycles(imports)
    assert not cycles, "\n".join(
        report(f"Import cycle between {sorted({import_layers.package_of(i.importer) for i in cycle})}, "
               f"e.g. {' -> '.join(shortest_loop(cycle))}; every import joining them:", cycle)
        for cycle in cycles)


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "consent_service"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in [package, *(p for p in package.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    return package


def test_a_planted_cycle_is_found_with_its_lines(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "a/service.py": "from consent_service.b import service\n",
        "b/service.py": "def late():\n    from consent_service.c.service import thing\n",
        "c/service.py": "import consent_service.a.service\nthing = 1\n",
        "d/service.py": "from consent_service.a import service\n",
    })
    cycles = package_cycles(read_imports(package))
    assert len(cycles) == 1
    assert [(i.importer, i.imported, i.line) for i in cycles[0]] == [
        ("consent_service.a.service", "consent_service.b.service", 1),
        ("consent_service.b.service", "consent_service.c.service", 2),
        ("consent_service.c.service", "consent_service.a.service", 1),
    ]
    assert shortest_loop(cycles[0]) == ["a", "b", "c", "a"]


def test_a_cycle_through_request_glue_is_not_a_domain_cycle(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "a/service.py": "x = 1\n",
        "a/api.py": "from consent_service.b import service\n",
        "b/service.py": "from consent_service.a.service import x\n",
    })
    imports = read_imports(package)
    assert package_cycles(imports) == []
    assert core_imports_of_http(imports) == []


def test_planted_upward_imports_are_found(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "runtime.py": "x = 1\n",
        "vocabulary.py": "from consent_service.a.service import y\n",
        "a/models.py": "from consent_service import vocabulary, database\n",
        "database.py": "",
        "a/service.py": "from .. import runtime\ny = 2\n",
        "flows/erase.py": "from consent_service.a import service\n",
        "b/service.py": "from consent_service.flows import erase\n",
    })
    imports = read_imports(package)
    assert [(i.importer, i.imported) for i in core_imports_of_http(imports)] == [
        ("consent_service.a.service", "consent_service.runtime")]
    assert [(i.importer, i.imported) for i in foundation_imports_above(imports)] == [
        ("consent_service.vocabulary", "consent_service.a.service")]
    assert [(i.importer, i.imported) for i in domains_importing_flows(imports)] == [
        ("consent_service.b.service", "consent_service.flows.erase")]
