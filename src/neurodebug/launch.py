"""The ``neurodebug`` command's first step, taken before NumPy loads.

The debugger scans a big dataset in a worker thread (``engine/scan.py``)
while the user types. NumPy's BLAS runs a large matrix product on a thread
per core, so on a 2-core machine the scan's products took both cores and a
key waited for one: ``n`` during a scan of 300,000 rows took a median 14 ms
to its step instead of 9 on an otherwise idle machine, and 81 ms instead of
18 with a test run on the other core (``python -m benchmarks.scankeys``).
The debugger leaves BLAS one core fewer than the machine gives it, so a key
always finds one; the scan took as long (5.3–5.9 s against 5.6 s). A BLAS
reads its thread count once, as it loads: hence here, before the command
line imports NumPy. The headless commands keep every core, and a thread
count the user set is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from .command_names import COMMANDS

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")  # what OpenBLAS, OpenMP and MKL read


def blas_threads(argv: Sequence[str], cores: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The thread counts to set before NumPy loads for the command ``argv``
    on a machine giving this process ``cores`` cores: for the debugger, one
    core fewer (at least one), where the user has not set a count."""
    if argv and argv[0] in COMMANDS:
        return {}
    count = str(max(1, cores - 1))
    return {name: count for name in BLAS_THREADS if name not in environ}


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def main() -> int:
    if "numpy" not in sys.modules:  # once loaded, its BLAS has read the counts
        os.environ.update(blas_threads(sys.argv[1:], usable_cores(), os.environ))
    from .cli import main as cli_main

    return cli_main()
