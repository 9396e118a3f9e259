"""The import contract (docs/architecture.md, Import direction): read from the source's syntax
trees, module-level and lazy imports alike, so it runs in a moment and needs no import.

- Layers: a module never imports a unit of a higher layer, nor a sibling of its own layer.
- webapp and edge never reach storage, the router or the operators' actions (`ops`)
  directly, and never touch a `.router` attribute: the router is reached through named
  service functions.
- The product (`backchannel`) never imports the tools (`backchannel_tools`), nor the
  tools' own dependencies (the `tools` extra in pyproject.toml).

The tables below are the contract: edit them when a module moves (a module must be in them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.project import tools_extra

SRC = Path(__file__).parents[1] / "src"

# Module (or package) -> unit; the longest name that a module is, or is inside, wins.
UNITS = {
    "backchannel": "package",  # itself only: __version__
    "backchannel.types": "types",
    "backchannel.errors": "errors",
    "backchannel.nesting": "nesting",
    "backchannel.nul": "nul",
    "backchannel.default_avatars": "default_avatars",
    "backchannel.models": "models",
    "backchannel.config": "config",
    "backchannel.cursors": "cursors",
    "backchannel.logs": "logs",
    "backchannel.wire": "wire",
    "backchannel.metrics": "metrics",
    "backchannel.bus": "bus",
    "backchannel.storage": "storage",
    "backchannel.router": "router",
    "backchannel.services": "services",
    # Operator actions and other systems' formats: used by the CLI and the composition root.
    "backchannel.ops": "ops",
    "backchannel.interop": "ops",
    "backchannel.webapp": "webapp",
    "backchannel.edge": "edge",
    "backchannel.app": "app",
    "backchannel.cli": "cli",
    "backchannel_tools": "tools",
}

# Lowest first: a module imports its own unit and the layers below, never a sibling or above.
LAYERS = [
    {"package", "types", "errors", "nesting", "nul", "default_avatars", "models"},
    {"config", "cursors", "logs", "wire", "metrics", "bus"},
    {"storage"},
    {"router"},
    {"services"},
    {"ops"},
    {"webapp", "edge"},
    {"app"},  # the composition root
    {"cli"},
    {"tools"},
]

# Lower units that a unit must not import although the layers would let it.
FORBIDDEN = {
    "webapp": {"storage", "router", "ops"},
    "edge": {"storage", "router", "ops"},
}
NO_ROUTER_ATTRIBUTE = {"webapp", "edge"}  # `ctx.router`: a service function instead
PRODUCT = "backchannel"


def unit_of(module: str) -> str | None:
    """The unit a module of ours belongs to; None for a module that is not ours, or a module
    of ours missing from UNITS (the package itself covers only itself)."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        unit = UNITS.get(".".join(parts[:size]))
        if unit is not None and (size > 1 or len(parts) == 1 or parts[0] != PRODUCT):
            return unit
    return None


def layer_of(unit: str) -> int:
    return next(number for number, units in enumerate(LAYERS) if unit in units)


def module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) of every import anywhere in the tree; `from a import b` gives a.b as
    well as a (b may be a module)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package[: len(package) - node.level + 1]
                base = ".".join([*kept, *([node.module] if node.module else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def breaks(importer: str, target: str) -> str | None:
    """Why `importer` (a unit) may not import `target` (a unit), or None."""
    if target == importer:
        return None
    if target in FORBIDDEN.get(importer, ()):
        return f"{importer} never imports {target}"
    if layer_of(target) > layer_of(importer):
        return f"{target} is above {importer}"
    if layer_of(target) == layer_of(importer):
        return f"{target} and {importer} are siblings"
    return None


def module_violations(path: Path, src: Path, extra: set[str]) -> Iterator[str]:
    module = module_name(path, src)
    where = path.relative_to(src)
    unit = unit_of(module)
    if unit is None:
        yield f"{where}: {module} is in no unit of the contract (tests/test_imports.py UNITS)"
        return
    tree = ast.parse(path.read_text(), str(path))
    seen: set[tuple[int, str]] = set()  # `from a import b` gives a and a.b: say it once
    for line, target in imported(tree, module, path.name == "__init__.py"):
        top = target.split(".")[0]
        if unit != "tools" and top in extra and (line, top) not in seen:
            seen.add((line, top))
            yield f"{where}:{line}: imports {target}, a dependency of the tools only"
        target_unit = unit_of(target)
        if target_unit is None:
            if top != PRODUCT:
                continue
            # `from backchannel import x`: x is not a module, so the package is imported.
            target_unit = unit_of(target.rpartition(".")[0])
            if target_unit is None:
                continue
        why = breaks(unit, target_unit)
        if why is not None and (line, target_unit) not in seen:
            seen.add((line, target_unit))
            yield f"{where}:{line}: {module} imports {target}: {why}"
    if unit in NO_ROUTER_ATTRIBUTE:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "router":
                yield f"{where}:{node.lineno}: {unit} reaches .router: call a service function"


def contract_violations(src: Path) -> list[str]:
    """Every break of the contract in the packages under `src`."""
    extra = set(tools_extra())
    packages = [src / PRODUCT, src / "backchannel_tools"]
    paths = sorted(path for package in packages for path in package.rglob("*.py"))
    return [found for path in paths for found in module_violations(path, src, extra)]


def test_the_source_keeps_the_contract() -> None:
    assert contract_violations(SRC) == []


def test_every_unit_has_one_layer() -> None:
    placed = [unit for units in LAYERS for unit in units]
    assert sorted(placed) == sorted(set(UNITS.values()))


PLANTED = [
    # (file, source, what the check says)
    (
        "backchannel/storage/planted.py",
        "from backchannel.services import users\n",
        "services is above storage",
    ),
    (
        "backchannel/router/planted.py",
        "def later():\n    from backchannel.webapp import app\n",
        "webapp is above router",
    ),
    ("backchannel/storage/planted.py", "from ..router import Router\n", "router is above storage"),
    (
        "backchannel/services/planted.py",
        "import backchannel.ops.moves\n",
        "ops is above services",
    ),
    (
        "backchannel/webapp/planted.py",
        "from backchannel.ops import moves\n",
        "webapp never imports ops",
    ),
    (
        "backchannel/edge/planted.py",
        "from backchannel.storage.engines.connection import Conn\n",
        "edge never imports storage",
    ),
    (
        "backchannel/webapp/planted.py",
        "from backchannel.edge.frames import hello\n",
        "edge and webapp are siblings",
    ),
    (
        "backchannel/edge/planted.py",
        "async def f(ctx):\n    return await ctx.router.assignment('T1')\n",
        "edge reaches .router",
    ),
    (
        "backchannel/cli/planted.py",
        "from backchannel_tools.bench import api\n",
        "tools is above cli",
    ),
    (
        "backchannel/cli/planted.py",
        "def plot():\n    import matplotlib.pyplot\n",
        "a dependency of the tools only",
    ),
    ("backchannel/webapp/planted.py", "from matplotlib import pyplot\n", "of the tools only"),
    ("backchannel/brand_new.py", "", "in no unit of the contract"),
]


@pytest.mark.parametrize(("file", "source", "said"), PLANTED)
def test_a_planted_violation_is_found(tmp_path: Path, file: str, source: str, said: str) -> None:
    planted = tmp_path / file
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(source)
    [found] = contract_violations(tmp_path)
    assert found.startswith(f"{file}") and said in found, found
