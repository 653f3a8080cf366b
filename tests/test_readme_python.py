"""The README's Python example runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_python_example_runs(monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    scope: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), scope)  # our own README, not a file's contents
    assert os.path.samefile(ROOT, Path.cwd())
