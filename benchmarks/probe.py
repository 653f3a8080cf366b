"""Clocks inside a headless Textual app: when frames are painted, and where
the time between a key and its frame goes.

Headless, Textual still lays out and composes every frame (the widgets'
``render_line`` runs) but skips turning it into terminal escape codes; the
probe does that encoding itself, so a frame costs what it would in a real
terminal minus the write. Hooks are instance attributes on the app, the
screen and the session: no class is patched, no project file is touched.

Each frame's text is read back (to tell when the screen first showed its final
content); the time that takes is subtracted from every later stamp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Callable

from textual.pilot import Pilot


def screen_text(app: Any) -> str:
    """Everything on the screen, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


@dataclass
class Window:
    """What happened between ``Probe.start()`` and now."""

    t0: float
    frames: list[tuple[float, Any, str]] = field(default_factory=list)  # (stamp, screen, text)
    action_ms: float = 0.0  # the screen's action, refresh_view included
    view_ms: float = 0.0  # refresh_view alone
    edit_ms: float = 0.0  # Session.edit (the engine's re-run)
    paint_ms: float = 0.0  # Textual layout + compositor render + escape codes, every frame
    paint_first_ms: float = 0.0  # the same for the first frame only


class Probe:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.window = Window(perf_counter())
        self._overhead = 0.0  # reading frames back, since the window started
        self._painting = False
        self.on_frame: Callable[[float, Any, str], None] | None = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                encode = getattr(renderable, "render_segments", None)
                if encode is not None:
                    encode(app.console)  # the escape codes a terminal would be sent
                now = perf_counter()
                text = screen_text(app)
                stamp = now - self._overhead
                self._overhead += perf_counter() - now
                self.window.frames.append((stamp, screen, text))
                if self.on_frame is not None:
                    self.on_frame(stamp, screen, text)
            return original(screen, renderable)

        app._display = display

    def start(self) -> Window:
        self._overhead = 0.0
        self.window = Window(perf_counter())
        return self.window

    # -- hooks on the debugger screen ----------------------------------------------
    def watch(self, screen: Any) -> None:
        """Time the screen's actions, its refresh_view, Session.edit and every paint."""
        for name in ("action_step", "action_next_neuron", "action_next_layer", "action_end"):
            self._wrap(screen, name, "action_ms")
        self._wrap(screen, "refresh_view", "view_ms")
        self._wrap(screen.session, "edit", "edit_ms")
        for name in ("_refresh_layout", "_compositor_refresh"):
            self._wrap_paint(screen, name)

    def _wrap(self, obj: Any, name: str, slot: str) -> None:
        original = getattr(obj, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                w = self.window
                setattr(w, slot, getattr(w, slot) + (perf_counter() - t) * 1e3)

        setattr(obj, name, timed)

    def _wrap_paint(self, screen: Any, name: str) -> None:
        original = getattr(screen, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._painting:  # _refresh_layout calls _compositor_refresh
                return original(*args, **kwargs)
            self._painting = True
            before = self._overhead
            first = not self.window.frames
            t = perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._painting = False
                ms = (perf_counter() - t - (self._overhead - before)) * 1e3
                self.window.paint_ms += ms
                if first:
                    self.window.paint_first_ms += ms

        setattr(screen, name, timed)


CHECKING = "checking…"  # the status line's word while a health report is being computed


@dataclass
class KeyTiming:
    complete_ms: float  # key sent → the first frame already showing the final screen (for an edit: its values)
    first_frame_ms: float  # key sent → the first frame painted in response
    last_frame_ms: float  # key sent → the last frame painted in response
    pilot_ms: float  # the whole ``await pilot.press(key)``, Pilot's idle waits included
    frames: int
    action_ms: float
    view_ms: float
    edit_ms: float
    paint_ms: float
    paint_first_ms: float
    # An edit whose health report a worker thread computes after its values
    # are on screen: → the first frame showing the report (NaN: it came with the values)
    health_ms: float = math.nan


async def time_key(pilot: Pilot, probe: Probe, key: str, screen: Any = None) -> KeyTiming:
    """Press ``key`` through Pilot; time it from the key to the frames it
    caused. ``screen``: the key edits (``until_health``)."""
    w = probe.start()
    await pilot.press(key)
    return await _timing(pilot, probe, w, screen)


async def time_call(pilot: Pilot, probe: Probe, fn: Callable[[], None], screen: Any = None) -> KeyTiming:
    """Call ``fn`` (which changes what the screen shows), then let the app
    paint. ``screen``: ``fn`` edits (``until_health``)."""
    w = probe.start()
    fn()
    await pilot.pause()
    return await _timing(pilot, probe, w, screen)


async def until_health(pilot: Pilot, screen: Any) -> None:
    """Wait until the health report of the values on ``screen`` is computed
    (in a worker thread, for a big network) and painted."""
    session = screen.session
    for _ in range(100_000):
        if not session.health_pending and screen._health_job is None:
            break
        await pilot.pause(0.001)
    else:
        raise RuntimeError("the health report never came")
    await pilot.pause()


async def _timing(pilot: Pilot, probe: Probe, w: Window, screen: Any) -> KeyTiming:
    """The timing of what happened in window ``w``. With ``screen`` (an edit
    was made): the wait goes on until the edit's health report is on screen
    too; when a worker thread computed it after the values were drawn
    (``CHECKING`` on screen meanwhile), the key's figure is the values',
    ``health_ms`` the report's."""
    pilot_ms = (perf_counter() - w.t0) * 1e3 - probe._overhead * 1e3
    if screen is not None:
        await until_health(pilot, screen)
    frames = w.frames
    if not frames:
        nan = math.nan
        return KeyTiming(nan, nan, nan, pilot_ms, 0, w.action_ms, w.view_ms, w.edit_ms, w.paint_ms, w.paint_first_ms)
    complete, health = completed(frames, edited=screen is not None)
    return KeyTiming(
        (complete - w.t0) * 1e3, (frames[0][0] - w.t0) * 1e3, (frames[-1][0] - w.t0) * 1e3, pilot_ms, len(frames),
        w.action_ms, w.view_ms, w.edit_ms, w.paint_ms, w.paint_first_ms, (health - w.t0) * 1e3,
    )


def completed(frames: list[tuple[float, Any, str]], edited: bool) -> tuple[float, float]:
    """When the screen was complete: the stamp of the first frame showing the
    last one's text, and NaN. After an edit whose health report came later
    (frames saying ``CHECKING``, the last one not): the first frame showing
    the last "checking" frame's text (the edit's values), and the first
    showing the last frame's (the report)."""
    final = frames[-1][2]
    checking = [text for _, _, text in frames if CHECKING in text]
    health = math.nan
    if edited and checking and CHECKING not in final:
        health = next(t for t, _, text in frames if text == final)
        final = checking[-1]
    return next(t for t, _, text in frames if text == final), health
