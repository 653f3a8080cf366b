"""Random keys and resizes never raise, on every sample network."""

from __future__ import annotations

import random

import pytest

from neurodebug.engine.health import check_health
from neurodebug.tui import debugger
from neurodebug.tui.widgets.lines import LineList
from tui_helpers import (
    SAMPLES, assert_nothing_stale, make_app, pane_text, press, screen_text, settle, storm, storm_keys, type_fast,
)

KEYS = [
    "n", "p", "N", "L", "c", "G", "g", "b", "v", "e", "u", "U", "s", "f", "x", "a",
    "1", "2", "3", "4", "right", "left", "space", "home", "end", "tab", "shift+tab",
    "left_square_bracket", "right_square_bracket", "question_mark", "escape", "enter",
    "up", "down", "pageup", "pagedown", "0", "5", "minus", "full_stop", "y", "ctrl+r", "D",
]
NETWORKS = sorted(p.name for p in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("name", NETWORKS)
async def test_a_key_storm_never_raises(name, tmp_path, monkeypatch):
    """Random keys, typed faster than the screen updates: quits and their
    answers, saves, the palette, edits with bad values, resizes from 20×5 to
    300×100. Whenever the app quits a new one takes the remaining keys. (The
    2,000-key storm on every sample: `python tests/storm.py`.)"""
    monkeypatch.chdir(tmp_path)  # "s" saves beside the (relative) original
    rng = random.Random(f"storm {name}")
    apps = await storm(lambda: make_app(name), storm_keys(rng, 200))
    assert apps >= 1


@pytest.mark.parametrize("name", ["coffee_roasting.json", "nan_overflow.json"])
async def test_a_key_storm_with_every_health_report_a_frame_late_never_raises(name, tmp_path, monkeypatch):
    """Keys that come between an edit's frame and its health report (the way
    a network with a slow report behaves: HEALTH_INLINE_S)."""
    monkeypatch.setattr(debugger, "HEALTH_INLINE_S", -1.0)
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"late report {name}")
    apps = await storm(lambda: make_app(name), storm_keys(rng, 200))
    assert apps >= 1


async def test_resizes_never_raise():
    app = make_app("coffee_roasting.json")
    rng = random.Random(7)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(20):
            await pilot.resize_terminal(rng.randint(10, 160), rng.randint(4, 60))
            await press(pilot, rng.choice(["n", "N", "v", "1", "a"]))
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert app.is_running


# Every key of the debugger screen, and what it takes to use the ones that open something.
MOVES = [
    ("n",), ("n",), ("n",), ("p",), ("N",), ("L",), ("c",), ("G",), ("g",), ("end",), ("home",),
    ("right",), ("left",), ("space",), ("b",), ("v",), ("f",), ("u",), ("U",), ("ctrl+r",),
    ("left_square_bracket",), ("right_square_bracket",), ("up",), ("down",), ("pageup",), ("pagedown",),
    ("1",), ("2",), ("3",), ("4",), ("a",), ("tab",), ("shift+tab",),
    ("x", "escape"), ("question_mark", "escape"), ("e", *"0.25", "enter"), ("e", "escape"),
    ("y", "escape"), ("D", "escape"),
    ("ctrl+p", *"L1.N2", "enter"), ("ctrl+p", *"layer 2", "enter"),
]


def moves(app) -> list[tuple[str, ...]]:
    """MOVES, and a palette pick of the network's last sample. Each move ends
    on the debugger: a palette query that matched nothing would stay open, and
    its "No matches found" appear half a second later, on the wall clock."""
    return [*MOVES, ("ctrl+p", *f"Sample {len(app.session.samples)}", "enter")]


# Each kind of network once (normalising, failing, NaN/Inf, one sample), on
# the wide layout and on the narrow one (under 100 columns).
STALE_CASES = [("seed_example.json", (110, 36)), ("coffee_roasting.json", (80, 24)),
               ("coffee_unnormalized.json", (110, 36)), ("nan_overflow.json", (80, 24))]


# And with every health report a frame after its edit's values, on the wide and the narrow layout.
LATE_CASES = [("seed_example.json", (110, 36), True), ("nan_overflow.json", (80, 24), True)]


@pytest.mark.parametrize(("name", "size", "late_report"), [(*case, False) for case in STALE_CASES] + LATE_CASES)
async def test_no_pane_is_ever_stale(name, size, late_report, tmp_path, monkeypatch):
    """Panes redraw only the lines a step, an edit or a sample switch changed;
    after every key what is on screen must equal a redraw from scratch
    (ctrl+l), and each line a pane keeps must equal a fresh drawing of it."""
    monkeypatch.chdir(tmp_path)
    if late_report:
        monkeypatch.setattr(debugger, "HEALTH_INLINE_S", -1.0)
    rng = random.Random(f"stale {name}")
    app = make_app(name)
    async with app.run_test(size=size) as pilot:
        trace = app.screen.query_one("#trace-pane")
        main_screen = app.screen
        checked: set[str | None] = set()
        for k, keys in enumerate(rng.sample(moves(app), len(MOVES) + 1)):  # every move once, in a random order
            await press(pilot, *keys)
            assert app.screen is main_screen, f"{keys!r} (move {k}) left {app.screen!r} open"
            panes = list(app.screen.query(LineList))  # a view is mounted as it is first shown
            checked.update(pane.id for pane in panes)
            for pane in panes:
                assert pane.stale_lines() == [], f"{pane.id} after {keys!r} (move {k})"
                assert_scrollbar_fresh(pane, f"{pane.id} after {keys!r} (move {k})")
            await assert_nothing_stale(pilot, f"{keys!r} (move {k})")
            assert trace.line_count == app.session.cursor + 1
            if late_report:  # the report a worker thread computed is that of the values on screen
                s = app.session
                assert not s.health_pending and "checking…" not in screen_text(app), keys
                fresh = check_health(s.trace, s.settings, s.loss)
                assert [f.message for f in s.health().findings] == [f.message for f in fresh.findings], keys
        # Network, Operation, Arrays, Trace and the views the moves showed (2, 3, 4, an edit)
        assert {"network", "operation", "arrays", "trace-pane", "changes-view", "journal-view",
                "problems-view"} <= checked


def assert_scrollbar_fresh(pane, after: str) -> None:
    """A pane's scrollbar, repainted only when its thumb moves on screen
    (``LineList._move_thumb``), shows what a repaint from scratch shows."""
    if not pane.show_vertical_scrollbar or not pane.vertical_scrollbar.size:
        return
    bar = pane.vertical_scrollbar
    shown = [list(strip) for strip in bar.render_lines(bar.size.region)]
    bar.refresh()
    assert [list(strip) for strip in bar.render_lines(bar.size.region)] == shown, f"stale scrollbar: {after}"


async def test_keys_still_queued_when_the_app_quits_are_dropped_quietly():
    """A fast typist's keys that arrive after q (the app already tearing its
    screen down) must not run actions on panes that are gone."""
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await type_fast(pilot, ["n", "N"] * 10 + ["q"] + ["n", "e", "x", "f", "a", "1", "v", "b"] * 40, burst=1000)
    assert app.return_code == 0


async def test_G_then_g_leaves_no_trace_lines_behind():
    app = make_app("coffee_roasting.json")
    async with app.run_test(size=(120, 40)) as pilot:
        trace = app.screen.query_one("#trace-pane")
        await press(pilot, "G")
        assert any("L2.N1" in line for line in pane_text(app, trace))
        await press(pilot, "g")
        assert all(not line.strip() for line in pane_text(app, trace)), pane_text(app, trace)
        await press(pilot, "n", "n")
        shown = [line for line in pane_text(app, trace) if line.strip()]
        assert len(shown) == 2 and shown[0].split()[0] == "1" and shown[1].split()[0] == "2"
