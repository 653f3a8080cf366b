"""python -m benchmarks.scankeys [--rows N]: keys while the debugger scans a big dataset.

Opened on more input rows than it traces at once, the debugger scans every
row in a worker thread (the Samples view, the dataset-wide report) while the
user steps. This times ``n`` from the key to its step handled (the session's
cursor moved, the screen's redraw of it made; the paint is not waited for),
during the scan and after it, in two fresh interpreters: BLAS's thread
counts as the ``neurodebug`` command sets them for the debugger
(``neurodebug.launch``: one core fewer than the machine has) and as NumPy
sets them by itself (every core). The 784-128-64-10 network of the main
benchmark, N float32 rows (default 300,000: a scan of several seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

ROWS = 300_000
AFTER = 40  # keys timed once the scan is done


def child(network: Path, inputs: Path) -> dict[str, object]:
    """In the fresh interpreter: open the app as the command does, press n during and after the scan."""
    import asyncio

    from textual import events

    from neurodebug.cli import build_parsers, open_session
    from neurodebug.tui.app import NeurodebugApp

    args = build_parsers()[0].parse_args([str(network), "--inputs", str(inputs)])
    session = open_session(args, network, zeros_if_empty=True, windowed=True)
    assert session.rows is not None, "the rows must be read one at a time"
    during: list[float] = []
    after: list[float] = []

    async def run() -> float:
        app = NeurodebugApp(session, path=network)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            t0 = perf_counter()
            scan_s = float("nan")
            while len(after) < AFTER:
                state = screen.scan_state
                done = state is not None and state.done
                if done and scan_s != scan_s:
                    scan_s = perf_counter() - t0
                key = "g" if session.at_end else "n"
                before = session.cursor
                t = perf_counter()
                app.post_message(events.Key(key, key))
                while session.cursor == before:
                    await asyncio.sleep(0.0005)
                if key == "n":
                    (after if done else during).append((perf_counter() - t) * 1e3)
                await asyncio.sleep(0.02)  # a fast typist: 50 keys a second at most
            return scan_s

    scan_s = asyncio.run(run())
    return {"rows": session.n_rows, "scan_s": scan_s, "during": during, "after": after,
            "blas": {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}}


def summary(ms: list[float]) -> str:
    if len(ms) < 2:
        return f"{ms[0]:6.1f} ms (1 key)" if ms else "–"
    p95 = statistics.quantiles(ms, n=20)[18]
    return f"median {statistics.median(ms):6.1f} ms, p95 {p95:6.1f} ms ({len(ms)} keys)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scankeys", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=ROWS)
    p.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0

    from neurodebug.launch import BLAS_THREADS, blas_threads, usable_cores

    from .checkrows import write_inputs
    from .networks import SPECS, write

    spec = next(s for s in SPECS if s.name == "784-128-64-10")
    with tempfile.TemporaryDirectory(prefix="neurodebug-scankeys-") as tmp:
        directory = Path(tmp)
        network = write(spec, directory)
        inputs = write_inputs(directory / "rows.npy", args.rows, 784)
        plain = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
        runs = {
            "as the command sets BLAS": {**plain, **blas_threads([str(network)], usable_cores(), plain)},
            "every core to BLAS": plain,
        }
        for name, env in runs.items():
            out = subprocess.run([sys.executable, "-m", "benchmarks.scankeys", "--child", str(network), str(inputs)],
                                 capture_output=True, text=True, env=env, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{name} ({r['blas']['OPENBLAS_NUM_THREADS'] or 'unset'} threads): scan of {r['rows']:,} rows "
                  f"{r['scan_s']:.1f} s; n during the scan: {summary(r['during'])}; after: {summary(r['after'])}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
