"""Reads which `consent_service` modules import which, and names the imports that break the layers.

A small AST walk rather than import-linter or grimp: the rules are three short functions over a
graph we build in a few lines, every import is counted (those inside functions too, which is where
a cycle hides), and a failure names the module, the line and the import that make it.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT_PACKAGE = "consent_service"
# Request glue: parses a request or a command line, authenticates, reads the running app, calls the
# layers below. Modules whose last name is one of these, or starts with "request_" (they read the
# request: request_guards, regimes.request_country), are HTTP, whatever their package.
HTTP_MODULE_NAMES = frozenset({"api", "cli", "pages", "views", "forms", "auth", "site"})
REQUEST_PREFIX = "request_"
# Whole modules that are request glue or the app's wiring: the app factory, the per-app objects
# views read, the blueprints of metrics and API docs, the console's privacy request pages (views.py's routes,
# in a module of their own), and the registry of every domain's flask commands.
HTTP_MODULES = frozenset({ROOT_PACKAGE, f"{ROOT_PACKAGE}.runtime", f"{ROOT_PACKAGE}.metrics", f"{ROOT_PACKAGE}.docs",
                          f"{ROOT_PACKAGE}.console.privacy_requests", f"{ROOT_PACKAGE}.commands"})
# The bottom: the closed sets of the domain, the tables, and what tables are declared with.
FOUNDATION_MODULES = frozenset({f"{ROOT_PACKAGE}.vocabulary", f"{ROOT_PACKAGE}.database", f"{ROOT_PACKAGE}.extensions",
                                f"{ROOT_PACKAGE}.errors", f"{ROOT_PACKAGE}.models"})
# Use cases that sequence several domains: above every domain, below HTTP.
FLOWS_PACKAGE = "flows"


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name, resolved to a module that exists
    path: Path  # relative to the root package's parent, as a failure shows it
    line: int

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(root: Path) -> list[Import]:
    """Every import of a module under `root` by a module under `root`, at any depth in the file."""
    files = sorted(root.rglob("*.py"))
    modules = {module_name(path, root) for path in files}
    imports: set[Import] = set()
    for path in files:
        importer = module_name(path, root)
        shown = path.relative_to(root.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for imported in _names(node, importer, is_package=path.name == "__init__.py"):
                target = _existing(imported, modules)
                if target is not None and target != importer:
                    imports.add(Import(importer, target, shown, node.lineno))
    return sorted(imports, key=lambda i: (str(i.path), i.line, i.imported))


def _names(node: ast.Import | ast.ImportFrom, importer: str, *, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    else:
        base = node.module or ""
        if node.level:
            package = importer.split(".") if is_package else importer.split(".")[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        # `from a import b` imports a.b when b is a module, else a name of a.
        for alias in node.names:
            yield f"{base}.{alias.name}"


def _existing(name: str, modules: set[str]) -> str | None:
    """The longest prefix of `name` that is one of our modules (None for other libraries)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def is_http(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module in HTTP_MODULES or last in HTTP_MODULE_NAMES or last.startswith(REQUEST_PREFIX)


def package_of(module: str) -> str:
    """The top-level package (or top-level module) under the root that `module` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def core_imports_of_http(imports: Iterable[Import]) -> list[Import]:
    """Rule a: the layers below HTTP never import request glue or the app's wiring."""
    return [i for i in imports if not is_http(i.importer) and is_http(i.imported)]


def domains_importing_flows(imports: Iterable[Import]) -> list[Import]:
    """Rule b: flows sit above the domains, so only flows and HTTP import a flow."""
    return [i for i in imports if package_of(i.imported) == FLOWS_PACKAGE
            and package_of(i.importer) != FLOWS_PACKAGE and not is_http(i.importer)]


def foundation_imports_above(imports: Iterable[Import]) -> list[Import]:
    """Rule c: the vocabulary and the tables import nothing of ours but the vocabulary and the tables."""
    return [i for i in imports if _is_foundation(i.importer) and not _is_foundation(i.imported)]


def _is_foundation(module: str) -> bool:
    return module in FOUNDATION_MODULES or module.endswith(".models")


def package_cycles(imports: Iterable[Import]) -> list[list[Import]]:
    """Rule d: between packages, the core imports form no cycle. Each cycle found is returned as the
    imports (with their lines) that join its packages, one strongly connected component at a time."""
    edges: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for i in imports:
        if is_http(i.importer) or is_http(i.imported):
            continue
        source, target = package_of(i.importer), package_of(i.imported)
        if source != target:
            edges[source][target].append(i)
    cycles = []
    for component in _strongly_connected(edges):
        if len(component) > 1:
            cycles.append([i for source in sorted(component) for target in sorted(edges[source])
                           if target in component for i in edges[source][target]])
    return cycles


def shortest_loop(cycle: list[Import]) -> list[str]:
    """One shortest loop of packages inside a cycle's imports (a -> b -> a), to read before the full list."""
    edges: dict[str, set[str]] = defaultdict(set)
    for i in cycle:
        edges[package_of(i.importer)].add(package_of(i.imported))
    best: list[str] = []
    for start in sorted(edges):
        paths = {start: [start]}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for successor in sorted(edges[node]):
                if successor == start:
                    loop = paths[node] + [start]
                    if not best or len(loop) < len(best):
                        best = loop
                    queue = []
                    break
                if successor not in paths:
                    paths[successor] = paths[node] + [successor]
                    queue.append(successor)
    return best


def _strongly_connected(edges: dict[str, dict[str, list[Import]]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative so a deep graph cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, {})))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def report(title: str, imports: Iterable[Import]) -> str:
    return "\n".join([title, *(f"  {i.describe()}" for i in imports)])
