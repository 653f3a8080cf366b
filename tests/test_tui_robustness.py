"""Random keys and resizes never raise, on every sample network."""

from __future__ import annotations

import random

import pytest

from neurodebug.tui.widgets.lines import LineList
from tui_helpers import SAMPLES, make_app, type_fast

KEYS = [
    "n", "p", "N", "L", "c", "G", "g", "b", "v", "e", "u", "U", "s", "f", "x", "a",
    "1", "2", "3", "4", "right", "left", "space", "home", "end", "tab", "shift+tab",
    "left_square_bracket", "right_square_bracket", "question_mark", "escape", "enter",
    "up", "down", "pageup", "pagedown", "0", "5", "minus", "full_stop", "y", "ctrl+r",
]
NETWORKS = sorted(p.name for p in SAMPLES.glob("*.json"))


@pytest.mark.parametrize("name", NETWORKS)
async def test_a_thousand_random_keys_never_raise(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "s" saves beside the (relative) original
    rng = random.Random(name)
    app = make_app(name)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_fast(pilot, [rng.choice(KEYS) for _ in range(1000)])
        assert app.is_running
        s = app.session
        assert -1 <= s.cursor < len(s.plan)


async def test_resizes_never_raise():
    app = make_app("coffee_roasting.json")
    rng = random.Random(7)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.resize_terminal(rng.randint(10, 160), rng.randint(4, 60))
            await pilot.press(rng.choice(["n", "N", "v", "1", "a"]))
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.is_running


@pytest.mark.parametrize("name", ["seed_example.json", "coffee_unnormalized.json", "nan_overflow.json"])
async def test_redrawing_only_changed_lines_never_leaves_a_stale_one(name, tmp_path, monkeypatch):
    """The panes redraw only the lines a step, an edit or a sample switch
    changed; after every key, each line they keep must equal a fresh drawing."""
    monkeypatch.chdir(tmp_path)
    rng = random.Random(name)
    moves = ["n", "n", "n", "p", "N", "L", "g", "G", "c", "b", "v", "f", "u", "U", "right_square_bracket",
             "left_square_bracket", "up", "down", "1", "2", "3", "4"]
    app = make_app(name)
    async with app.run_test(size=(110, 36)) as pilot:
        panes = list(app.screen.query(LineList))
        assert len(panes) >= 6  # Network, Operation, Arrays, Trace and the side views
        checked = 0
        for k in range(100):
            key = rng.choice(moves)
            if k % 25 == 10:  # an edit of the selected value now and then
                await pilot.press("e", *"0.25", "enter")
            else:
                await pilot.press(key)
            for pane in panes:
                assert pane.stale_lines() == [], f"{pane.id} after {key!r} (key {k})"
                checked += len(pane._cache)
        assert checked > 500  # lines were drawn and compared
