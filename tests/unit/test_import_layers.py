"""The first-party import graph has no cycles, and modules import each other at the top.

An AST walk over `src/govdw/**` and `orchestration/**` collects every import of a first-party
module: at module level, under `if TYPE_CHECKING:`, and inside functions. `from a import b` is an
edge to `a.b` when that is a module, else to `a`; relative imports are resolved; a parent package
is not an edge of its submodules (`import a.b` is an edge to `a.b` only). Any strongly connected
component of more than one module is a cycle and fails the test, naming it and the import lines.

An import inside a function hides a dependency (and usually dodges a cycle): it is allowed only
where `LAZY_IMPORTS` says so, each entry with the start-up cost it saves.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: (folder that holds the top-level package, top-level package name)
ROOTS = ((REPO / "src", "govdw"), (REPO, "orchestration"))
FIRST_PARTY = tuple(name for _, name in ROOTS)

#: (importing module or package, imported module or package) -> why the import is deferred.
#: Each is a start-up cost paid only by the command or asset that needs the module.
LAZY_IMPORTS: dict[tuple[str, str], str] = {
    ("govdw.cli", "orchestration"): (
        "Dagster, dagster-dbt and the definitions take ~3 s to import; only `govdw run`, `ui` "
        "and the commands that talk to the Dagster instance need them, not `sql` or `report`"
    ),
    ("govdw.cli", "govdw.ingest"): (
        "the parser stack (pyarrow compute, extract, mapping, reconcile) loads only for "
        "`govdw inspect`"
    ),
    ("govdw.cli", "govdw.sample"): (
        "the sample generator (opencc, xlsxwriter, xlwt) loads only for `govdw sample`"
    ),
    ("govdw.cli", "govdw.discover"): (
        "discover pulls in pyarrow through the region tables (~0.15 s); only `sample --if-empty` "
        "uses it, and `govdw sql` should answer at once"
    ),
    ("govdw.reports.commands", "govdw.reports"): (
        "each report's stack (plotly for the dashboard, python-docx for the bulletins, "
        "pyarrow.dataset for the exports) loads only when that report is asked for"
    ),
    ("orchestration.defs.ingest.assets", "govdw.ingest"): (
        "the parser stack (~0.4 s) loads when landing_files runs, not each time Dagster loads the "
        "code location (every run worker, sensor tick and UI reload)"
    ),
    ("orchestration.defs.reports.assets", "govdw.reports"): (
        "plotly, python-docx and pyarrow.dataset (~0.35 s) load when a report asset runs, not "
        "each time Dagster loads the code location"
    ),
}


@dataclass(frozen=True)
class Import:
    """One first-party import: where it is, what it imports, whether it runs inside a function."""

    importer: str
    target: str
    path: Path
    line: int
    in_function: bool

    def where(self) -> str:
        """`path:line` relative to the repository."""
        return f"{self.path.relative_to(REPO)}:{self.line}"


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every first-party module (a package is its __init__)."""
    found: dict[str, Path] = {}
    for base, package in ROOTS:
        for path in sorted((base / package).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a first-party module (None: not first-party)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _targets(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The first-party modules one import statement (or `import_module("…")` call) loads."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        for alias in node.names:
            full = f"{base}.{alias.name}"
            names.append(full if alias.name != "*" and full in modules else base)
    elif isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            names = [str(node.args[0].value)]
    targets: list[str] = []
    for name in names:
        if name.split(".")[0] in FIRST_PARTY:
            known = _known(name, modules)
            if known is not None and known not in targets:
                targets.append(known)
    return targets


def _walk(
    node: ast.AST, module: str, path: Path, modules: dict[str, Path], in_function: bool
) -> list[Import]:
    """The first-party imports under `node`, marking those that run inside a function."""
    is_package = path.name == "__init__.py"
    found = [
        Import(module, target, path, getattr(node, "lineno", 0), in_function)
        for target in _targets(node, module, is_package, modules)
    ]
    inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
    for child in ast.iter_child_nodes(node):
        found += _walk(child, module, path, modules, inside)
    return found


def _imports() -> list[Import]:
    """Every first-party import in the first-party modules."""
    modules = _modules()
    found: list[Import] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _walk(tree, module, path, modules, False)
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle through the component's first module (breadth-first, so a shortest one)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return [start]


def _allowed(imp: Import) -> bool:
    def under(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return any(
        under(imp.importer, importer) and under(imp.target, target)
        for importer, target in LAZY_IMPORTS
    )


def test_graph_covers_the_packages() -> None:
    """The walk sees the modules and the imports this test is about (a guard against a no-op)."""
    modules = _modules()
    assert {"govdw.ingest", "govdw.types", "orchestration.definitions"} <= set(modules)
    edges = {(i.importer, i.target) for i in _imports()}
    assert ("govdw.ingest", "govdw.types") in edges
    assert ("orchestration.definitions", "orchestration.defs.ingest.assets") in edges


def test_the_walk_resolves_imports_and_finds_cycles() -> None:
    """Relative imports, `from package import module` and function-level imports are edges, and
    a two-module loop is a strongly connected component (a guard for the checks below)."""
    modules = {
        name: Path(f"/x/{name}.py")
        for name in ("govdw.a", "govdw.b", "govdw.pkg", "govdw.pkg.c", "govdw.pkg.d")
    }
    modules["govdw.pkg"] = Path("/x/govdw/pkg/__init__.py")
    source = (
        "from . import b\n"
        "from .pkg import c, helper\n"
        "from govdw.pkg import thing\n"
        "import govdw.pkg.d as d\n"
        "def f():\n"
        "    from govdw import b\n"
    )
    found = _walk(ast.parse(source), "govdw.a", modules["govdw.a"], modules, False)
    assert [(i.target, i.in_function) for i in found] == [
        ("govdw.b", False),
        ("govdw.pkg.c", False),
        ("govdw.pkg", False),
        ("govdw.pkg", False),
        ("govdw.pkg.d", False),
        ("govdw.b", True),
    ]
    inner = _walk(ast.parse("from . import c\n"), "govdw.pkg", modules["govdw.pkg"], modules, False)
    assert [i.target for i in inner] == ["govdw.pkg.c"]
    graph = {"a": {"b"}, "b": {"c", "a"}, "c": set()}
    assert sorted(_strongly_connected(graph)) == [["a", "b"], ["c"]]
    assert _cycle_in(["a", "b"], graph) == ["a", "b", "a"]


def test_no_import_cycles() -> None:
    """No two first-party modules import each other, directly or through others."""
    imports = _imports()
    graph: dict[str, set[str]] = {m: set() for m in _modules()}
    for imp in imports:
        if imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    problems = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        cycle = _cycle_in(component, graph)
        lines = []
        for a, b in itertools.pairwise(cycle):
            where = sorted(i.where() for i in imports if (i.importer, i.target) == (a, b))
            lines.append(f"    {a} -> {b}  ({', '.join(where)})")
        problems.append(f"import cycle among {', '.join(component)}:\n" + "\n".join(lines))
    assert not problems, "\n".join(problems)


def test_no_function_level_first_party_imports() -> None:
    """First-party modules are imported at module top, except the deferred ones listed."""
    lazy = [i for i in _imports() if i.in_function and not _allowed(i)]
    assert not lazy, "imports of first-party modules inside functions:\n" + "\n".join(
        f"    {i.where()}: {i.importer} imports {i.target}" for i in lazy
    )


#: The library's layers, bottom first (docs/architecture.md, "Layers"): a module imports only from
#: its own layer or the ones below. Modules not listed (reports, sample, cli) sit above them all.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("types", "text", "settings", "landing", "datasets", "digest"),
    ("vocab", "values", "roles", "regions", "privacy"),
    ("sniff", "read", "tables", "mapping", "reconcile", "extract"),
    ("discover", "load", "handoff", "ingest", "publish", "runlock", "query", "summary"),
    # Engines other than DuckDB: they read the hand-off and the registry, orchestration uses them.
    ("engines", "engines.postgres", "engines.postgres_server", "engines.spark"),
)


def test_the_library_imports_downwards() -> None:
    level = {f"govdw.{name}": i for i, layer in enumerate(LAYERS) for name in layer}
    modules = _modules()
    assert set(level) <= set(modules), f"unknown modules in LAYERS: {set(level) - set(modules)}"
    upward = [
        f"{imp.where()}: {imp.importer} (layer {level[imp.importer]}) imports {imp.target} "
        f"(layer {level.get(imp.target, 'above all')})"
        for imp in _imports()
        if imp.importer in level and level.get(imp.target, len(LAYERS)) > level[imp.importer]
    ]
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)
