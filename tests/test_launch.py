"""The command leaves the debugger's BLAS one core fewer than the machine has
(``neurodebug.launch``): a scan's matrix products must not take the core a
key needs. The headless commands keep every core."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from neurodebug.launch import BLAS_THREADS, blas_threads


@pytest.mark.parametrize(("cores", "count"), [(1, "1"), (2, "1"), (8, "7")])
def test_the_debugger_leaves_blas_one_core_fewer(cores, count):
    assert blas_threads(["net.json"], cores, {}) == dict.fromkeys(BLAS_THREADS, count)
    assert blas_threads([], cores, {}) == dict.fromkeys(BLAS_THREADS, count)  # the bundled sample


@pytest.mark.parametrize("command", ["trace", "check", "convert", "export", "verify"])
def test_the_headless_commands_keep_every_core(command):
    assert blas_threads([command, "net.json"], 8, {}) == {}


def test_a_count_the_user_set_is_kept():
    assert blas_threads(["net.json"], 8, {"OPENBLAS_NUM_THREADS": "3"}) == {"OMP_NUM_THREADS": "7", "MKL_NUM_THREADS": "7"}


def _environ_after(*argv: str) -> str:
    """OPENBLAS_NUM_THREADS as the command left it, run as ``python -m neurodebug`` is."""
    code = ("import os, sys\n"
            f"sys.argv = ['neurodebug', *{list(argv)!r}]\n"
            "from neurodebug.launch import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import numpy\n"  # loaded after the counts were set, as the command loads it
            "print(os.environ.get('OPENBLAS_NUM_THREADS', 'unset'))\n")
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_command_sets_the_counts_before_numpy_loads():
    from neurodebug.launch import usable_cores

    assert _environ_after("--version") == str(max(1, usable_cores() - 1))
    assert _environ_after("check", "--help") == "unset"
