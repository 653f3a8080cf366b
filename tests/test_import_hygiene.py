"""The engine and the readers never load the user interface.

``io`` → ``engine`` ← ``tui``: importing the core in a fresh interpreter must
not pull in Textual or Rich, directly or through a dependency.
"""

from __future__ import annotations

import json
import subprocess
import sys

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
