"""Helpers for driving the app the way a user does and reading the screen.

Nothing here waits on the wall clock. ``settle`` waits until every message
pump of the app (the app, every screen, every widget) has handled everything
queued to it, however long that takes on a slow machine; ``press`` sends one
key at a time and settles after each, ``type_fast`` sends bursts of keys
without waiting in between (a fast typist) and then settles.
"""

from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path

from textual import events
from textual.app import ScreenStackError
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from neurodebug import Session, load_network
from neurodebug.tui.app import NeurodebugApp

SAMPLES = Path(__file__).resolve().parents[1] / "sample_networks"


def flagged_explanations():
    """(network, sample row, layer, neuron, its Explanation) for every neuron
    with a problem or a note, in every sample of every bundled network."""
    for name in sorted(p.name for p in SAMPLES.glob("*.json")):
        s = Session(load_network(SAMPLES / name))
        report = s.health()
        for row in range(len(s.samples)):
            s.set_sample(row)
            for l, j in sorted({*report.failing_neurons(row), *report.noted_neurons(row)}):
                yield name, row, l, j, s.explain(l, j)
SETTLE_YIELDS = 1_000_000  # turns of the event loop; far more than any key needs
QUIET_TURNS = 3


def make_app(name: str | Path = "seed_example.json", **session_options) -> NeurodebugApp:
    """The app on a bundled sample (a name) or any network file (a Path)."""
    path = name if isinstance(name, Path) else SAMPLES / name
    app = NeurodebugApp(Session(load_network(path), **session_options), path=Path(path.name))
    # Sliding tab underlines end where they would anyway, without the
    # wall-clock wait (TEXTUAL_ANIMATIONS=none does the same for a user).
    app.animation_level = "none"
    return app


def screen_text(app: NeurodebugApp) -> str:
    """Everything on the screen now, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def _busy(app) -> bool:
    """Does any message pump (the app, a screen, a widget) have messages queued?"""
    return any(pump.message_queue_size for pump in (app, *app._registry))


def _screen_pending(screen) -> bool:
    """Has the screen work waiting for its refresh timer (layout, repaint, callbacks)?"""
    return bool(
        screen._layout_required or screen._scroll_required or screen._repaint_required
        or screen._dirty_widgets or screen._recompose_required or screen._callbacks
    )


async def settle(pilot) -> None:
    """Wait until every key and message sent so far has been handled and the
    screen is up to date (layout and repaint included). Yields to the event
    loop until nothing is left to do; never sleeps."""
    app = pilot.app
    quiet = 0
    for _ in range(SETTLE_YIELDS):
        if app._exit or app._exception is not None:
            return
        try:
            screen = app.screen
        except ScreenStackError:
            return
        if _busy(app):
            quiet = 0
        elif any(worker.is_running for worker in app.workers):
            quiet = 0  # the command palette searches in workers (and cancels them as you type)
            await asyncio.gather(*(worker.wait() for worker in app.workers), return_exceptions=True)
        elif app.animator._animations or app.animator._scheduled:
            quiet = 0  # a tab's underline slides to the new tab
            await app.animator.wait_until_complete()
        elif _screen_pending(screen):
            quiet = 0
            screen._on_timer_update()  # lay out and repaint what changed, as the refresh timer would
        else:
            quiet += 1
            # A handler that is running has queued nothing yet; one that awaits
            # something waits on messages queued elsewhere. Quiet over a few
            # turns of the event loop means everything has been handled.
            if quiet == QUIET_TURNS:
                return
        await asyncio.sleep(0)
    raise AssertionError("the app never settled: something keeps posting messages")


def _key_event(app, key: str) -> events.Key:
    """The Key event Textual's own Pilot would send for ``key``."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    return event


async def press(pilot, *keys: str) -> None:
    """Press keys one at a time, each handled completely before the next."""
    app = pilot.app
    for key in keys:
        if app._exit:
            return
        app.post_message(_key_event(app, key))
        await settle(pilot)


async def type_fast(pilot, keys, burst: int = 50) -> None:
    """Send keys the way a fast typist does: a burst at a time with no wait
    in between, then wait until every one of them has been handled."""
    app = pilot.app
    keys = list(keys)
    for start in range(0, len(keys), burst):
        for key in keys[start : start + burst]:
            app.post_message(_key_event(app, key))
        await settle(pilot)


def pane_text(app, widget) -> list[str]:
    """The lines of the screen inside ``widget``'s content region (no border)."""
    region = widget.content_region
    strips = app.screen._compositor.render_strips()
    lines = ["".join(seg.text for seg in strip) for strip in strips]
    return [line[region.x : region.right] for line in lines[region.y : region.bottom]]


async def assert_nothing_stale(pilot, after: str = "") -> None:
    """What is on screen equals what a redraw from scratch (ctrl+l) shows."""
    app = pilot.app
    before = screen_text(app)
    await press(pilot, "ctrl+l")
    redrawn = screen_text(app)
    if before != redrawn:
        diff = [f"  row {y}: {a!r}\n      now {b!r}" for y, (a, b) in enumerate(zip(before.split("\n"), redrawn.split("\n"))) if a != b]
        raise AssertionError(f"stale screen after {after}:\n" + "\n".join(diff))


# -- key storms ---------------------------------------------------------------------
STORM_KEYS = [
    "n", "p", "N", "L", "c", "G", "g", "b", "v", "e", "u", "U", "s", "f", "x", "a",
    "1", "2", "3", "4", "right", "left", "space", "home", "end", "tab", "shift+tab",
    "left_square_bracket", "right_square_bracket", "question_mark", "escape", "enter",
    "up", "down", "pageup", "pagedown", "0", "5", "minus", "full_stop", "y", "n", "ctrl+r",
    "ctrl+l", "ctrl+a", "ctrl+k", "backspace",
]
# Sequences a user types faster than the screen updates: quit and answer, save
# and answer, palette and choose, edit and apply.
STORM_BURSTS = [
    ("q", "y"), ("q", "y", "q"), ("q", "n"), ("q", "s"), ("ctrl+q", "y"), ("ctrl+c", "escape"), ("ctrl+c", "y"),
    ("s", "y"), ("s", "n"), ("s", "s"), ("ctrl+p", "enter", "enter"), ("ctrl+p", *"L1", "enter"),
    ("ctrl+p", *"quit", "enter", "y"), ("e", *"-2.5", "enter"), ("e", *"1e400", "enter", "escape"),
    ("e", "enter", "enter"), ("x", "x"), ("question_mark", "q"),
]
STORM_SIZES = [(20, 5), (300, 100), (80, 24), (59, 15), (100, 30), (61, 17), (120, 40)]


def storm_keys(rng, count: int) -> list[str | tuple[int, int]]:
    """``count`` keys: single keys, fast sequences, and now and then a new
    terminal size (a tuple)."""
    out: list[str | tuple[int, int]] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.04:
            out.append(rng.choice(STORM_SIZES))
        elif roll < 0.14:
            out.extend(rng.choice(STORM_BURSTS))
        else:
            out.append(rng.choice(STORM_KEYS))
    return out[:count]


async def storm(make, keys: list[str | tuple[int, int]], size=(100, 30), burst: int = 40) -> int:
    """Type ``keys`` at apps made by ``make()``, a new one whenever one quits,
    in bursts with no wait between keys. Any exception in an app fails here
    (``run_test`` raises it). Returns how many apps were used."""
    apps = 0
    k = 0
    while k < len(keys):
        apps += 1
        app = make()
        async with app.run_test(size=size) as pilot:
            while k < len(keys) and not app._exit:
                chunk: list[str] = []
                while k < len(keys) and len(chunk) < burst and not isinstance(keys[k], tuple):
                    chunk.append(keys[k])  # type: ignore[arg-type]
                    k += 1
                if chunk:
                    await type_fast(pilot, chunk, burst=burst)
                if k < len(keys) and isinstance(keys[k], tuple) and not app._exit:
                    width, height = keys[k]  # type: ignore[misc]
                    k += 1
                    await pilot.resize_terminal(width, height)
                    await settle(pilot)
        assert app._exception is None, app._exception
    return apps
