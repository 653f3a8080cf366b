"""The engine and the readers never load the user interface.

``io`` → ``engine`` ← ``tui``: importing the core in a fresh interpreter must
not pull in Textual or Rich, directly or through a dependency.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

UI_PACKAGES = ("textual", "rich")

PROBE = """
import json, sys
import {module}
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {ui!r})
print(json.dumps(loaded))
"""


def modules_loaded_by(module: str) -> list[str]:
    code = PROBE.format(module=module, ui=UI_PACKAGES)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "module",
    [
        "neurodebug",
        "neurodebug.engine",
        "neurodebug.io",
        "neurodebug.io.json_format",
        "neurodebug.engine.trace, neurodebug.engine.plan, neurodebug.engine.session",
    ],
)
def test_core_does_not_import_the_ui(module: str) -> None:
    assert modules_loaded_by(module) == []


EVERY_MODULE = """
import importlib, json, pkgutil, sys
import neurodebug.engine, neurodebug.io
skipped = []
for package in (neurodebug.engine, neurodebug.io):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(info.name)
        except ImportError as exc:  # an optional reader whose extra is not installed
            if exc.name and exc.name.split(".")[0] in {ui!r}:
                raise
            skipped.append(info.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {ui!r})
print(json.dumps(loaded))
"""


def test_no_module_of_engine_or_io_imports_the_ui() -> None:
    # Every module, including ones added later, not just what __init__ imports.
    proc = subprocess.run([sys.executable, "-c", EVERY_MODULE.format(ui=UI_PACKAGES)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_the_probe_can_see_textual() -> None:
    # Guard the guard: the probe does report a UI import when there is one.
    assert "textual" in modules_loaded_by("textual")


# -- what the launch imports -------------------------------------------------------------
EVERY_LOADED = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""
ENGINE_AND_READERS = ("numpy", "neurodebug.api", "neurodebug.engine", "neurodebug.io")
# Never on the debugger's way to its first screen: the headless commands' output,
# the Python API, verify, the gradient check, gradient descent, the other readers,
# the dialogs and the palette's commands, the Code view's writer, the Samples
# view's ranking (the scan's), explain (the first screen explains nothing).
NOT_AT_LAUNCH = (
    "neurodebug.api", "neurodebug.engine.serialize", "neurodebug.engine.trace_text",
    "neurodebug.engine.diagnosis", "neurodebug.engine.gradcheck", "neurodebug.engine.gradcheck_text",
    "neurodebug.engine.descent", "neurodebug.tui.check_section", "neurodebug.io.npz_format",
    "neurodebug.io.learner_code", "neurodebug.io.convert", "neurodebug.io.numpy_export",
    "neurodebug.io.keras_format", "neurodebug.io.onnx_format", "neurodebug.io.safetensors_format",
    "neurodebug.tui.dialogs", "neurodebug.tui.commands", "textual.system_commands", "neurodebug.engine.code",
    "neurodebug.engine.sample_ranking", "neurodebug.engine.scan", "neurodebug.engine.explain",
    "neurodebug.engine.explanation",
)


def every_module_loaded_by(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", EVERY_LOADED.format(code=code)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_the_package_loads_its_public_names_when_first_used() -> None:
    # `import neurodebug` (every `python -m neurodebug` starts with it) loads
    # neither NumPy nor the engine; using a name does.
    loaded = every_module_loaded_by("import neurodebug")
    assert sorted(m for m in loaded if m.startswith(ENGINE_AND_READERS)) == []
    loaded = every_module_loaded_by("import neurodebug; neurodebug.Network")
    assert {"numpy", "neurodebug.engine.network"} <= loaded


def test_the_command_loads_nothing_before_it_sets_blas_threads() -> None:
    # neurodebug.launch sets BLAS's thread counts, which a BLAS reads as it loads.
    loaded = every_module_loaded_by("import neurodebug.launch")
    assert sorted(m for m in loaded if m.startswith(ENGINE_AND_READERS)) == []


def test_the_debugger_imports_only_what_its_first_screen_needs() -> None:
    # Imported, then a JSON network loaded: no other format's reader comes in.
    loaded = every_module_loaded_by("import neurodebug.cli; neurodebug.cli.import_app(); "
                                    "neurodebug.cli.load_network(neurodebug.cli.bundled_sample())")
    assert {"neurodebug.tui.debugger", "neurodebug.engine.session", "neurodebug.io.json_format"} <= loaded
    assert sorted(loaded & set(NOT_AT_LAUNCH)) == []


def test_the_public_names_are_the_modules_own() -> None:
    import neurodebug
    from neurodebug import Network, load_network, network_from_arrays
    from neurodebug.api import network_from_arrays as from_api
    from neurodebug.engine import Network as from_engine
    from neurodebug.io import load_network as from_io

    assert (Network, load_network, network_from_arrays) == (from_engine, from_io, from_api)
    assert all(getattr(neurodebug, name) is not None for name in neurodebug.__all__)
    assert set(neurodebug.__all__) <= set(dir(neurodebug))
    with pytest.raises(AttributeError, match="no attribute 'Netwrok'"):
        neurodebug.Netwrok  # noqa: B018


@pytest.mark.parametrize("enabled", [True, False])
def test_importing_the_app_leaves_the_collector_as_it_was(enabled: bool) -> None:
    import gc

    from neurodebug.cli import import_app
    from neurodebug.tui.app import NeurodebugApp

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        assert import_app() is NeurodebugApp
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() > 0  # what the import made is out of the collector's way
    finally:
        gc.unfreeze()  # this test process goes on making and dropping objects
        (gc.enable if was else gc.disable)()


# -- no import cycles ---------------------------------------------------------------------
SRC = Path(__file__).resolve().parents[1] / "src"
LAYERS = {"engine": 0, "io": 1, "tui": 2, "cli": 3}  # a module may import only from its layer or below


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports —
    anywhere in the file: at the top, inside functions, under TYPE_CHECKING."""
    modules = {_module_name(p): p for p in (SRC / "neurodebug").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                mod = node.module or ""
                root = f"{base}.{mod}".strip(".") if node.level else mod
                # "from . import conditions" names a module; "from .x import y" the module x
                targets = [f"{root}.{a.name}" if f"{root}.{a.name}" in modules else root for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles() -> None:
    graph = _import_graph()
    # A package's __init__ re-exports its modules; a module importing its own
    # package's __init__ would close a loop the interpreter only survives by order.
    assert _cycles(graph) == []


def test_a_module_of_the_package_never_imports_its_own_package_init() -> None:
    graph = _import_graph()
    bad = [(m, t) for m, ts in graph.items() for t in ts
           if t in ("neurodebug.engine", "neurodebug.io", "neurodebug.tui") and m.startswith(t + ".")]
    assert bad == []


def test_layers_import_downwards_only() -> None:
    """engine ← io ← tui ← cli: the engine imports none of the others, io
    not the screen, the screen not the command line."""
    bad = []
    for module, targets in _import_graph().items():
        mine = LAYERS.get(_package_of(module))
        for t in targets:
            theirs = LAYERS.get(_package_of(t))
            if mine is not None and theirs is not None and theirs > mine:
                bad.append((module, t))
    assert bad == []
