"""The floor: the least a Textual app can do per key, timed as our keys are.

    python -m benchmarks.floor OUT.json [--presses N]

A minimal Textual app at 120×40: three bordered panes side by side, each full
of text; every key press replaces the text of all three (every line changes)
and repaints them, without a layout pass (the panes' sizes never change, as
the debugger's do not on a step). Nothing else: no engine, no NumPy.

Measured in a fresh interpreter with the probe the networks use
(``benchmarks.probe``: key sent through Pilot → the first frame that already
shows the final screen, every frame rendered to escape codes), and its launch
the way ``benchmarks.measure`` times the debugger's: the imports, then the app
until its first complete frame. ``python -m benchmarks`` runs it before and
after the networks (for reference), and what it divides a network's figures
by is measured beside that network, so that both see the same moment of a
noisy machine: the floor's key in the network's own interpreter just before
and just after its keys (``benchmarks.measure.floor_keys``), the floor's
launches alternately with the network's (``--launch-only``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

SIZE = (120, 40)
PRESSES = 200
KEY = "n"
PANES = ("Operation", "Network", "Arrays")
LINES = 36  # rows of text per pane: more than fit, as in the debugger's panes


def pane_text(pane: int, press: int) -> str:
    """The text of one pane after ``press`` presses: every line differs from the last press's."""
    return "\n".join(
        f"{PANES[pane][0]}{row:02d} step {press:>5}: z = {((press + 1) * (row + 7) * (pane + 3)) % 9973 / 997.3 - 5:+.6f}"
        for row in range(LINES)
    )


def make_app() -> Any:
    """The floor app (Textual is imported by the caller first, so that its import is timed apart)."""
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal
    from textual.widgets import Static

    class FloorApp(App):
        CSS = """
        Horizontal { height: 1fr; }
        Static { width: 1fr; height: 1fr; border: round $accent; padding: 0 1; }
        """
        BINDINGS = [(KEY, "next", "next")]

        def __init__(self) -> None:
            super().__init__()
            self.presses = 0

        def compose(self) -> ComposeResult:
            with Horizontal():
                for i, title in enumerate(PANES):
                    pane = Static(pane_text(i, 0), markup=False, id=f"pane{i}")
                    pane.border_title = title
                    yield pane

        def action_next(self) -> None:
            self.presses += 1
            for i in range(len(PANES)):
                self.query_one(f"#pane{i}", Static).update(pane_text(i, self.presses), layout=False)

    return FloorApp()


async def run(out: dict[str, Any], presses: int, launch_only: bool = False) -> None:
    from .measure import summarise
    from .probe import Probe, time_key

    t0 = perf_counter()
    app = make_app()
    probe = Probe(app)
    probe.start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        frames = probe.window.frames
        final = frames[-1][2]
        markers = [*PANES, pane_text(2, 0).splitlines()[-2][:30]]
        missing = [m for m in markers if m not in final]
        if missing:
            raise RuntimeError(f"the floor's first screen lacks {missing}; it shows:\n{final}")
        out["launch_s"] = next(t for t, _, text in frames if text == final) - t0
        if launch_only:
            return
        for name in ("_refresh_layout", "_compositor_refresh"):  # Textual's paint, as probe.watch times it
            probe._wrap_paint(app.screen, name)
        gc.freeze()  # as the debugger does once on screen (cli: freeze_gc=True)
        await pilot.press(KEY)  # one untimed press, as the networks' runs start on a warmed screen
        timings = [await time_key(pilot, probe, KEY) for _ in range(presses)]
        if any(t.frames == 0 for t in timings):
            raise RuntimeError("a key press of the floor app painted no frame")
        out["key"] = summarise(timings)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.floor", description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--presses", type=int, default=PRESSES)
    p.add_argument("--launch-only", action="store_true", help="only the imports and the first complete frame")
    args = p.parse_args(argv)

    t = perf_counter()
    import textual.app  # noqa: F401
    import textual.containers  # noqa: F401
    import textual.widgets  # noqa: F401

    out: dict[str, Any] = {"import_s": perf_counter() - t}
    asyncio.run(run(out, args.presses, args.launch_only))
    out["total_launch_s"] = out["import_s"] + out["launch_s"]
    args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
