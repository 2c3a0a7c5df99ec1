"""The package's shape (STYLE.md): folders are floors, each importing only from the floors below it,
no import cycle, small modules and functions. Read from the source with ``ast``, so that a new
import that breaks the layering fails here, in the fast tier, before anyone reviews it."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "slopefit"

# the floors, bottom first; a module may import from its own floor and the floors below
FLOORS = [
    {"slopefit.errors", "slopefit.texts", "slopefit.atomic", "slopefit.version"},
    {"slopefit.data"},
    {"slopefit.solve"},
    {"slopefit.dist"},
    {"slopefit.train"},
    {"slopefit.views"},
    {"slopefit.teach"},
    {"slopefit.server", "slopefit.bench"},
    {"slopefit.cli"},
    # the public API and the entry point sit on top; slopefit.api (fit and its Result) reads train/ and views/
    {"slopefit", "slopefit.__main__", "slopefit.api"},
]
MAX_TOP_MODULES = 10
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 90


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every slopefit module ``name`` imports, at the top or inside a function (both run)."""
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets |= {f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names}
    resolved = set()
    for target in targets:
        while target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in MODULES and target != name and target.startswith("slopefit"):
            resolved.add(target)
    return resolved


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def floor_of(module: str) -> int:
    for level, prefixes in enumerate(FLOORS):
        if module in prefixes:
            return level
    for level, prefixes in enumerate(FLOORS):
        if any(module.startswith(p + ".") for p in prefixes if p != "slopefit"):
            return level
    raise AssertionError(f"{module} is on no floor: add its folder to FLOORS")


def test_every_import_goes_down_or_sideways_within_a_floor():
    upward = [f"{m} (floor {floor_of(m)}) imports {t} (floor {floor_of(t)})"
              for m, targets in GRAPH.items() for t in sorted(targets)
              if floor_of(t) > floor_of(m) and not (m in ("slopefit.__main__",) or t == "slopefit")]
    assert upward == []


def test_the_import_graph_has_no_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_no_private_name_is_imported_from_another_module():
    private = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slopefit"):
                private += [f"{name} imports {node.module}.{a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    assert private == []


def test_few_top_level_modules_and_small_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
    subpackages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(subpackages) >= 6, subpackages


def test_no_function_body_is_longer_than_a_screen():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                lines = (body[-1].end_lineno - body[0].lineno + 1) if body else 0
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


def test_no_module_level_mutable_state():
    """Lists, dicts and sets bound at module level with a lowercase or underscore-private name are state
    (constants are UPPER_CASE and never mutated: checked by review, named here)."""
    found = []
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
                node.target if isinstance(node, ast.AnnAssign) else None)
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and isinstance(value, (ast.List, ast.Dict, ast.Set)) and (
                    target.id.startswith("_") and target.id.lstrip("_").isupper() is False
                    or target.id.islower()):
                if target.id != "__all__":
                    found.append(f"{name}.{target.id}")
    assert found == []


@pytest.mark.parametrize("name", ["fit", "load_dataset", "LinearRegressor", "Dataset", "TrainConfig", "compute_stats",
                                  "solve_exact", "sweep", "FitResult", "save_model", "load_model", "__version__"])
def test_the_public_api_imports_from_the_package(name):
    import slopefit

    assert getattr(slopefit, name) is not None and (name in slopefit.__all__)


def test_floors_are_known_for_every_module():
    levels = defaultdict(list)
    for module in MODULES:
        levels[floor_of(module)].append(module)
    assert all(levels[level] for level in range(len(FLOORS)))
