"""Measure one network file in this process and write the numbers as JSON.

    python -m benchmarks.measure NET_FILE OUT.json [--presses N] [--profile DIR]
    python -m benchmarks.measure NET_FILE OUT.json --launch-only

``python -m benchmarks`` runs this once per network in a fresh interpreter,
so each peak RSS belongs to one network alone, and ``--launch-only`` a few
times before it: the launch timed in an interpreter that has imported nothing
else, as ``neurodebug NET`` starts. (In the full run the loads and the NumPy
reference come before the app and would import, untimed, whatever the CLI
imports only when it needs it.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import resource
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

SIZE = (120, 40)
PRESSES = 200  # timed presses of each of n, N and L (G: a quarter as many, each from the start)
JUMPS = 10  # presses of G under cProfile (--profile)
EDITS_UI = 8  # edits typed into the edit dialog
EDITS_DIRECT = 20  # edits through Session.edit plus the screen refresh
PROFILED = 40  # presses of each key run again under cProfile with --profile
# What the first complete screen shows: status line, Operation, Network,
# Arrays, the Trace tab and the footer.
MARKERS = ("step 0/", "Ready.", "Network", "inputs (", "Arrays", "w1_1[i]", "Trace", "n step")
EDIT_VALUES = ("0.5", "-0.25")
FLOOR_PRESSES = 100  # presses of the floor app's key in this process, before and after the network's


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def summarise(timings) -> dict[str, Any]:
    """Median and p95 of every field of a list of KeyTiming."""
    out: dict[str, Any] = {"n": len(timings), "frames_per_key": sum(t.frames for t in timings) / len(timings)}
    for name in ("complete_ms", "first_frame_ms", "last_frame_ms", "pilot_ms", "action_ms", "view_ms", "edit_ms",
                 "paint_ms", "paint_first_ms", "health_ms"):
        out[name] = stats([getattr(t, name) for t in timings])
    return out


def stats(values: list[float]) -> dict[str, float]:
    import numpy as np

    arr = np.asarray([v for v in values if not math.isnan(v)])
    if arr.size == 0:
        return {"median": math.nan, "p95": math.nan}
    return {"median": float(np.median(arr)), "p95": float(np.percentile(arr, 95))}


class Run:
    """One network: load it, launch the app on it the way the CLI does, drive it."""

    def __init__(self, path: Path, presses: int, profile_dir: Path | None, inputs: Path | None = None) -> None:
        self.path = path
        self.inputs = inputs  # --inputs FILE: the app opened on these rows, as the command line opens it
        self.presses = presses
        self.profile_dir = profile_dir
        self.out: dict[str, Any] = {}

    # -- without the UI ------------------------------------------------------------
    def load(self) -> None:
        from neurodebug import load_network

        times = []
        for _ in range(3):
            t = perf_counter()
            net = load_network(self.path)
            times.append(perf_counter() - t)
            del net
            gc.collect()
        self.out["load_s"] = sorted(times)[1]
        self.out["load_s_first"] = times[0]

    def reference(self, key: str) -> None:
        from neurodebug import load_network

        from .reference import numpy_forward_ms, numpy_from_layer_ms

        net = load_network(self.path)
        self.out[key] = {"forward_ms": numpy_forward_ms(net), "from_layer1_ms": numpy_from_layer_ms(net, 0)}
        del net
        gc.collect()

    # -- the app -----------------------------------------------------------------------
    async def app(self, launch_only: bool = False) -> None:
        from neurodebug.cli import build_parsers, open_session
        from neurodebug.io.files import check_readable
        from neurodebug.tui.app import NeurodebugApp
        from neurodebug.tui.debugger import DebuggerScreen

        from .probe import Probe, completed, until_health

        path = self.path
        args = build_parsers()[0].parse_args([str(path)] + (["--inputs", str(self.inputs)] if self.inputs else []))
        loader_s: dict[str, float] = {}

        def loader(progress) -> Any:  # cli.cmd_debug's loader, timed
            t = perf_counter()
            progress(f"Reading {path.name} …")
            session = open_session(args, path, zeros_if_empty=True, windowed=True)  # as cli.cmd_debug
            session.watches = []
            loader_s["s"] = perf_counter() - t
            return session

        t0 = perf_counter()
        check_readable(path)
        app = NeurodebugApp(path=path, loader=loader, freeze_gc=True)  # as cli.cmd_debug
        probe = Probe(app)
        probe.start()
        async with app.run_test(size=SIZE) as pilot:
            deadline = perf_counter() + 120
            while not isinstance(app.screen, DebuggerScreen) and perf_counter() < deadline:
                await pilot.pause(0.005)
            await pilot.pause()
            await until_health(pilot, app.screen)  # a big network's first report follows its first screen
            frames = [f for f in probe.window.frames if isinstance(f[1], DebuggerScreen)]
            shown, health = completed(frames, edited=True)
            first = next(text for t, _, text in frames if t == shown)
            missing = [m for m in MARKERS if m not in first]
            if missing:
                raise RuntimeError(f"the first screen lacks {missing}; it shows:\n{first}")
            self.out["launch_s"] = shown - t0
            self.out["launch_health_s"] = health - t0  # NaN: the report came with the first screen
            self.out["launch_loader_s"] = loader_s["s"]
            self.out["launch_last_frame_s"] = frames[-1][0] - t0
            self.out["rss_after_launch_mb"] = rss_mb()
            if launch_only:
                if self.inputs is not None:  # ] through the rows: each read and traced when shown
                    from .probe import time_key

                    probe.watch(app.screen)
                    self.out["key_]"] = summarise([await time_key(pilot, probe, "]") for _ in range(self.presses)])
                return
            screen = app.screen
            assert isinstance(screen, DebuggerScreen)
            probe.watch(screen)
            await self.keys(pilot, probe, screen)
            await self.edits_ui(pilot, probe, screen)
            await self.edits_direct(pilot, probe, screen)
            if self.profile_dir:
                await self.profile(pilot, probe, screen)
            self.engine_only(screen.session)

    async def keys(self, pilot, probe, screen) -> None:
        """n, N, L and G (the issue's step keys) through Pilot: key sent → the screen complete."""
        from .probe import time_key

        session = screen.session
        for key in ("n", "N", "L"):
            await pilot.press("g")
            timings = []
            while len(timings) < self.presses:
                if session.at_end:
                    await pilot.press("g")  # back to the start, untimed
                timings.append(await time_key(pilot, probe, key))
            self.out[f"key_{key}"] = summarise(timings)
        timings = []
        for _ in range(max(1, self.presses // 4)):  # each from the start: g untimed, then G
            await pilot.press("g")
            timings.append(await time_key(pilot, probe, "G"))
            assert session.at_end
        self.out["key_G"] = summarise(timings)

    async def profile(self, pilot, probe, screen) -> None:
        """The same keys again under cProfile (Pilot's waits show up as idle time)."""
        import cProfile

        from neurodebug.engine import Target
        from neurodebug.engine.edits import WEIGHT

        session = screen.session
        for key in ("n", "N", "L", "G", "edit"):
            await pilot.press("g")
            profiler = cProfile.Profile()
            for k in range(PROFILED if key != "G" else JUMPS):
                if session.at_end or key == "G":
                    await pilot.press("g")
                if key == "edit":
                    profiler.enable()
                    session.edit(Target(WEIGHT, 0, 0, 0), 0.5 if k % 2 else -0.5)
                    screen.after_edit()
                    await pilot.pause()
                else:
                    profiler.enable()
                    await pilot.press(key)
                profiler.disable()
            profiler.dump_stats(self.profile_dir / f"{self.path.stem}-{key}.pstats")

    async def edits_ui(self, pilot, probe, screen) -> None:
        """Edit L1.N1.w1 through the dialog: e, type a value, Enter → the screen complete."""
        from neurodebug.engine import Target
        from neurodebug.engine.edits import WEIGHT

        from .probe import time_key

        session = screen.session
        target = Target(WEIGHT, 0, 0, 0)
        self.out["edit_target"] = target.label()
        await pilot.press("g", "n")  # step 1: L1.N1's dot product; Arrays selects L1.N1.w1
        timings = []
        for k in range(EDITS_UI):
            value = EDIT_VALUES[k % 2]
            await pilot.press("e")
            for ch in value:
                await pilot.press(ch)
            before = len(session.journal)
            timings.append(await time_key(pilot, probe, "enter", screen))
            assert len(session.journal) == before + 1, "the edit was not applied"
            edit = session.journal[-1]
            assert edit.target == target and edit.new == float(value), edit
        self.out["edit_ui"] = summarise(timings)

    async def edits_direct(self, pilot, probe, screen) -> None:
        """``session.edit`` (re-run from layer 1) and the screen's redraw after
        an edit (``after_edit``: the new values at once, their health report
        after that frame), as the edit dialog's callback does, until the
        screen is complete."""
        from neurodebug.engine import Target
        from neurodebug.engine.edits import WEIGHT

        from .probe import time_call

        session = screen.session
        target = Target(WEIGHT, 0, 0, 0)
        timings = []
        for k in range(EDITS_DIRECT):
            value = 0.75 if k % 2 else -0.125

            def edit() -> None:
                session.edit(target, value)
                screen.after_edit()

            timings.append(await time_call(pilot, probe, edit, screen))
        self.out["edit_direct"] = summarise(timings)

    def engine_only(self, session) -> None:
        """What the engine alone costs: the health report, and a step's detail."""
        from neurodebug.engine.health import check_health

        times = []
        for _ in range(5):
            t = perf_counter()
            check_health(session.trace, session.settings)
            times.append((perf_counter() - t) * 1e3)
        self.out["health_ms"] = sorted(times)[2]
        trace = session.trace
        self.out["dtype"] = str(trace.values[0].z.dtype)
        self.out["weights_dtype"] = str(session.network.layers[0].W.dtype)
        self.out["params"] = session.network.param_count
        self.out["param_bytes"] = session.network.param_bytes
        self.out["steps"] = len(session.plan)
        self.out["samples"] = len(session.samples)


def floor_keys() -> dict[str, Any]:
    """The floor app's key (``benchmarks.floor``), timed here as in its own run; the app let go after."""
    from . import floor

    out: dict[str, Any] = {}
    asyncio.run(floor.run(out, FLOOR_PRESSES))
    gc.unfreeze()  # floor.run froze what was alive, as the debugger does once on screen
    gc.collect()
    return dict(out["key"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.measure")
    p.add_argument("network", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--presses", type=int, default=PRESSES)
    p.add_argument("--profile", type=Path, metavar="DIR", help="also write cProfile stats here")
    p.add_argument("--launch-only", action="store_true", help="only the imports and the app's first complete frame")
    p.add_argument("--inputs", type=Path, metavar="FILE",
                   help="open the app on these rows (with --launch-only: then ] pressed --presses times)")
    args = p.parse_args(argv)

    t = perf_counter()
    import neurodebug.cli  # numpy, the engine, the readers

    neurodebug.cli.import_app()  # Textual, Rich and the screen, as cli.cmd_debug imports them

    import_s = perf_counter() - t
    run = Run(args.network, args.presses, args.profile, args.inputs)
    run.out["import_s"] = import_s
    run.out["rss_after_import_mb"] = rss_mb()
    if args.launch_only:
        asyncio.run(run.app(launch_only=True))
        args.out.write_text(json.dumps(run.out, indent=1))
        return 0
    # The floor app's key, in this process just before and just after the
    # network's keys: what they are divided by sees the same moment of a noisy machine.
    run.out["floor_keys_before"] = floor_keys()
    run.load()
    run.reference("numpy_before")
    asyncio.run(run.app())
    # The debugger's peak: taken before the second reference pass, which loads
    # the network again while the app's frozen objects (gc.freeze) still hold
    # the first copy, something no real run of the CLI does.
    run.out["peak_rss_mb"] = peak_rss_mb()
    gc.unfreeze()
    gc.collect()
    run.out["floor_keys_after"] = floor_keys()
    run.reference("numpy_after")
    run.out["peak_rss_after_reference_mb"] = peak_rss_mb()
    args.out.write_text(json.dumps(run.out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
