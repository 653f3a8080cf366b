"""Where a step's time goes, function by function, without a profiler's overhead.

    python -m benchmarks.hotspots NET_FILE [--repeat N]

Opens the debugger headless on NET_FILE, stands on a few typical steps and
times, one at a time and outside the event loop, every function a redraw
calls: the engine's answers, the screen's text builders, and Textual's
painting of each pane (``render_lines`` with the pane's line cache
cleared). Medians in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path
from time import perf_counter
from typing import Any, Callable

SIZE = (120, 40)


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median time of ``fn``; a function that returns a float times itself (seconds)."""
    times = []
    for _ in range(repeat):
        t = perf_counter()
        inner = fn()
        took = perf_counter() - t
        times.append((inner if isinstance(inner, float) else took) * 1e3)
    return statistics.median(times)


def _fresh(widget: Any) -> None:
    """Throw away what Textual cached for ``widget``, as a change of content does."""
    widget.refresh(layout=True)
    if hasattr(widget, "_cache"):
        widget._cache.clear()  # LineList's rendered lines: set_count() clears them on every show()


def _paint(widget: Any) -> Callable[[], Any]:
    def paint() -> Any:
        _fresh(widget)
        return widget.render_lines(widget.size.region)

    return paint


def _pane(show: Callable[[], Any], pane: Any) -> list[tuple[str, Callable[[], Any]]]:
    """A text pane (Line API): our show() (text, wrap, diff), then Textual's
    paint of every visible line with the line cache cleared."""
    def paint() -> float:
        show()
        _fresh(pane)
        t = perf_counter()
        pane.render_lines(pane.size.region)
        return perf_counter() - t

    return [("show", show), ("paint", paint)]


async def measure(path: Path, repeat: int) -> list[tuple[str, str, float]]:
    from neurodebug import Session, load_network
    from neurodebug.engine import DOT, Target
    from neurodebug.engine.edits import WEIGHT
    from neurodebug.tui.app import NeurodebugApp
    from neurodebug.tui.frame import build_frame
    from neurodebug.tui.widgets.arrays import ArraysPane
    from neurodebug.tui.widgets.network_pane import NetworkPane
    from neurodebug.tui.widgets.operation import OperationPane
    from neurodebug.tui.widgets.trace_pane import TracePane
    from neurodebug.tui.widgets.tabs import Views
    from neurodebug.tui.widgets.views import ChangesView, ProblemsView

    session = Session(load_network(path))
    app = NeurodebugApp(session, path)
    rows: list[tuple[str, str, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        views = screen.query_one(Views)
        for view in ("problems", "changes", "trace"):  # a view is mounted when first shown
            views.active = view
            await pilot.pause()
        net = session.network
        report = session.health()
        failing = [j for l, j in report.failing_neurons(session.sample_index) if l == 0]
        healthy = next(j for j in range(net.layers[0].units) if j not in set(failing))
        states: list[tuple[str, Callable[[], None]]] = [("start (Ready)", session.to_start)]
        if failing:
            states.append((f"L1.N{failing[0] + 1} dot, failing", lambda: session.goto(session.plan.index_of(0, failing[0], DOT))))
        states.append((f"L1.N{healthy + 1} dot, healthy", lambda: session.goto(session.plan.index_of(0, healthy, DOT))))
        last = len(net.layers) - 1
        states.append((f"L{last}.N1 activation", lambda: session.goto(session.plan.index_of(last - 1, 0, "activate"))))
        for name, move in states:
            move()
            screen.refresh_view()
            await pilot.pause()
            s = session
            timings: list[tuple[str, Callable[[], Any]]] = [
                ("engine: Session.detail()", s.detail),
                ("engine: health().summary()", lambda: s.health().summary()),
                ("engine: health().failing_neurons(row)", lambda: s.health().failing_neurons(s.sample_index)),
                ("engine: health().for_sample(row)", lambda: s.health().for_sample(s.sample_index)),
            ]
            step = s.step
            if step is not None and step.layer >= 0 and step.neuron is not None:
                from neurodebug.engine.explain import explain

                timings.append(("engine: explain() (uncached)", lambda: explain(s.trace, s.sample_index, step.layer, step.neuron, s.settings)))
            network_pane = screen.query_one(NetworkPane)
            trace_pane = screen.query_one(TracePane)
            frame = screen.frame

            def build(fresh: bool, screen: Any = screen, s: Any = s) -> Any:
                return build_frame(s, screen.selection, screen.frame, fresh=fresh)

            def visible(pane: Any) -> range:
                top = int(pane.scroll_y)
                return range(top, min(pane.line_count, top + pane.scrollable_content_region.height))

            timings += [
                ("tui: build_frame() (parts carried over)", lambda: build(False)),
                ("tui: build_frame(fresh=True) (every part)", lambda: build(True)),
                ("tui: OperationPane.render_text(frame)",
                 lambda: screen.query_one(OperationPane).render_text(frame, screen.query_one(OperationPane).size.width)),
                ("tui: ArraysPane.render_text(frame)",
                 lambda: screen.query_one(ArraysPane).render_text(frame, screen.query_one(ArraysPane).size.width)),
                ("tui: ChangesView.text_lines(frame)", lambda: screen.query_one(ChangesView).text_lines(frame, 60)),
                ("tui: ProblemsView.text_lines(frame)", lambda: screen.query_one(ProblemsView).text_lines(frame, 60)),
                (f"tui: NetworkPane.line_text() × {network_pane.scrollable_content_region.height} visible",
                 lambda: [network_pane.line_text(i) for i in visible(network_pane)]),
                (f"tui: TracePane.line_text() × {trace_pane.scrollable_content_region.height} visible",
                 lambda: [trace_pane.line_text(i) for i in visible(trace_pane)]),
                ("tui: DebuggerScreen.refresh_view() (all of the above)", screen.refresh_view),
                ("textual: paint #status (after refresh)", _paint(screen.query_one("#status"))),
                ("textual: paint NetworkPane (line cache cleared)", _paint(network_pane)),
                ("textual: paint TracePane (line cache cleared)", _paint(trace_pane)),
            ]
            operation = screen.query_one(OperationPane)
            arrays = screen.query_one(ArraysPane)
            for what, fn in _pane(lambda: operation.show(screen.frame), operation):
                timings.append((f"{'tui' if what == 'show' else 'textual'}: OperationPane {what}", fn))
            for what, fn in _pane(lambda: arrays.show(screen.frame), arrays):
                timings.append((f"{'tui' if what == 'show' else 'textual'}: ArraysPane {what}", fn))
            timings.append(("textual: full frame, every widget refreshed (reflow + render + encode)", lambda: _full_frame(screen)))
            for label, fn in timings:
                rows.append((name, label, median_ms(fn, repeat)))
            await pilot.pause()
        # After an edit of layer 1: the Network pane rebuilds its rows.
        s.goto(s.plan.index_of(0, 0, DOT))
        s.edit(Target(WEIGHT, 0, 0, 0), 0.5)
        screen.refresh_view()
        await pilot.pause()
        network_pane = screen.query_one(NetworkPane)
        rows.append(("after a layer-1 edit", "engine: check_health()", median_ms(lambda: _check_health(s), repeat)))
        rows.append(("after a layer-1 edit", "tui: build_frame(fresh=True)",
                     median_ms(lambda: build_frame(s, screen.selection, screen.frame, fresh=True), repeat)))
        rows.append(("after a layer-1 edit", "tui: ChangesView.text_lines(frame)",
                     median_ms(lambda: screen.query_one(ChangesView).text_lines(screen.frame, 60), repeat)))
        rows.append(("after a layer-1 edit", "tui: DebuggerScreen.refresh_view() (health cached)", median_ms(screen.refresh_view, repeat)))
        views.active = "changes"  # as the edit dialog leaves it
        await pilot.pause()
        rows.append(("after a layer-1 edit", "tui: refresh_view(fresh=True), the Changes view shown (health cached)",
                     median_ms(lambda: screen.refresh_view(fresh=True), repeat)))
        value = [0.5]

        def edit_and_redraw() -> None:  # as the edit dialog's callback, the report included when it is quick
            value[0] = -value[0]
            s.edit(Target(WEIGHT, 0, 0, 0), value[0])
            screen.after_edit()

        rows.append(("after a layer-1 edit", "engine + tui: Session.edit + after_edit(), the Changes view shown",
                     median_ms(edit_and_redraw, repeat)))
        await pilot.pause()
    return rows


def _check_health(session: Any) -> Any:
    from neurodebug.engine.health import check_health

    return check_health(session.trace, session.settings)


def _full_frame(screen: Any) -> float:
    for widget in screen.walk_children(with_self=False):
        _fresh(widget)
    t = perf_counter()
    screen._refresh_layout()
    update = screen._compositor.render_update(full=True)
    if update is not None:
        update.render_segments(screen.app.console)
    return perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.hotspots")
    p.add_argument("network", type=Path)
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args(argv)
    rows = asyncio.run(measure(args.network, args.repeat))
    state = None
    for name, label, ms in rows:
        if name != state:
            print(f"\n{name}")
            state = name
        print(f"  {label:<58} {ms:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
