"""The code's layout: imports run one way, and modules and functions stay small.

The import graph is read from the source (every ``import``, those inside functions too), so
a cycle dodged by a late import still counts as one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bench", "architectures", "report")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# The layers above the library: only they may import the command line and the report.
TOP = ("bench", "bench.api", "bench.__main__")
# The after-training measurements (bench.plugins): each a package that imports the core and
# the report's helpers, found by the core through the registry alone.
MEASUREMENTS = "bench.measurements"
# What may import a measurement package by name: the top, the command line, the functions
# that are about one measurement (bench.deployment's `bench list`), and measurements.
ABOVE_MEASUREMENTS = (*TOP, "bench.deployment", "bench.robustness")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports: ``from a import b`` counts as ``a.b`` when that
    is a module, else as ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            )
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    assert cycles(import_graph()) == []


def package_of(module: str) -> str:
    """``bench.train.fit`` -> ``bench.train``; a module directly in ``bench`` is its own
    package; ``report.charts`` -> ``report``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bench" else parts[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph with each module folded into its package."""
    packages: dict[str, set[str]] = {}
    for name, deps in graph.items():
        outside = {package_of(other) for other in deps} - {package_of(name)}
        packages.setdefault(package_of(name), set()).update(outside)
    return packages


def test_packages_import_each_other_one_way():
    assert cycles(package_graph(import_graph())) == []


def test_a_cycle_between_two_packages_is_found_though_their_modules_have_none():
    graph = {"bench.a.x": {"bench.b.y"}, "bench.b.z": {"bench.a.w"}, "bench.a.w": set()}
    graph |= {"bench.b.y": set()}
    assert cycles(graph) == []
    assert cycles(package_graph(graph)) == [["bench.a", "bench.b"]]


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_architectures_import_nothing_from_bench_or_report():
    graph = import_graph()
    assert {
        (name, other)
        for name, deps in graph.items()
        if name.startswith("architectures")
        for other in deps
        if not other.startswith("architectures")
    } == set()


def test_only_the_top_layer_imports_the_command_line_or_the_report():
    graph = import_graph()
    assert {
        (name, other)
        for name, deps in graph.items()
        if not (name in TOP or name.startswith(("bench.cli", "report", MEASUREMENTS)))
        for other in deps
        if other.startswith("bench.cli") or other.startswith("report")
    } == set()


def test_the_core_and_the_report_find_measurements_through_the_registry_alone():
    graph = import_graph()
    assert {
        (name, other)
        for name, deps in graph.items()
        if not (name in ABOVE_MEASUREMENTS or name.startswith(("bench.cli", MEASUREMENTS)))
        for other in deps
        if other.startswith(MEASUREMENTS)
    } == set()


def test_a_measurement_package_imports_no_other_measurement():
    graph = import_graph()

    def package(module: str) -> str:
        return ".".join(module.split(".")[:3])

    assert {
        (name, other)
        for name, deps in graph.items()
        if name.startswith(f"{MEASUREMENTS}.")
        for other in deps
        if other.startswith(f"{MEASUREMENTS}.") and package(other) != package(name)
    } == set()


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_longer_than_the_limit(package):
    long = {
        str(path.relative_to(ROOT)): lines
        for name, path in _modules().items()
        if name.split(".")[0] == package
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_longer_than_the_limit(package):
    long = {
        f"{path.relative_to(ROOT)}:{function}": lines
        for name, path in _modules().items()
        if name.split(".")[0] == package
        for function, lines in _functions(path)
        if lines > MAX_FUNCTION_LINES
    }
    assert long == {}


def main() -> None:
    """Print the longest module and the longest function: ``python tests/test_layout.py``."""
    modules = _modules()
    lines = {path: len(path.read_text().splitlines()) for path in modules.values()}
    path = max(lines, key=lines.get)
    print(f"longest module: {path.relative_to(ROOT)}, {lines[path]} lines")
    function = max(
        (
            (length, f"{p.relative_to(ROOT)}:{name}")
            for p in modules.values()
            for name, length in _functions(p)
        ),
    )
    print(f"longest function: {function[1]}, {function[0]} lines")
    print(f"import cycles: {cycles(import_graph()) or 'none'}")
    print(f"package cycles: {cycles(package_graph(import_graph())) or 'none'}")


if __name__ == "__main__":
    main()
